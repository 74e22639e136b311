-- Emails are written out when they are sent, by the process that sends them, so their
-- links start with that process's BASE_URL: the outbox keeps the facts (program, and
-- the message's own fields as JSON in facts) and the content the last attempt wrote
-- out. Rows queued before this migration have no facts (NULL): they were written out
-- when queued and are sent as they are.
--
-- A marketing email whose recipient unsubscribes before it goes out is 'cancelled'.
--
-- installation holds one random id per database, part of every Message-ID, so two
-- installations never send two messages with the same Message-ID. The app makes it the
-- first time it needs it (so databases copied from a migrated template differ).
--
-- The PostgreSQL twin of this file must stay equivalent. SQLite cannot change a CHECK
-- constraint in place: the table is rebuilt (no table refers to emails), with every
-- index it had (00002, 00011).

-- +goose Up
CREATE TABLE emails_new (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT REFERENCES users (id),
    recipient  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT NOT NULL DEFAULT '',
    dedupe_key TEXT NOT NULL UNIQUE,
    status     TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    sent_at    DATETIME,
    program_id BIGINT REFERENCES programs (id),
    facts      TEXT
);
INSERT INTO emails_new (id, user_id, recipient, kind, subject, body_text, body_html, dedupe_key, status, attempts, last_error, created_at, sent_at)
    SELECT id, user_id, recipient, kind, subject, body_text, body_html, dedupe_key, status, attempts, last_error, created_at, sent_at FROM emails;
DROP TABLE emails;
ALTER TABLE emails_new RENAME TO emails;
CREATE INDEX emails_status_idx ON emails (status, created_at);
CREATE INDEX emails_created_idx ON emails (created_at, id);
CREATE INDEX emails_kind_idx ON emails (kind, created_at, id);
CREATE INDEX emails_user_idx ON emails (user_id, status);

CREATE TABLE installation (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    id        TEXT NOT NULL CHECK (length(id) >= 16)
);

-- +goose Down
DROP TABLE installation;
CREATE TABLE emails_old (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT REFERENCES users (id),
    recipient  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT NOT NULL DEFAULT '',
    dedupe_key TEXT NOT NULL UNIQUE,
    status     TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    sent_at    DATETIME
);
INSERT INTO emails_old SELECT id, user_id, recipient, kind, subject, body_text, body_html, dedupe_key,
    CASE status WHEN 'cancelled' THEN 'failed' ELSE status END, attempts, last_error, created_at, sent_at FROM emails;
DROP TABLE emails;
ALTER TABLE emails_old RENAME TO emails;
CREATE INDEX emails_status_idx ON emails (status, created_at);
CREATE INDEX emails_created_idx ON emails (created_at, id);
CREATE INDEX emails_kind_idx ON emails (kind, created_at, id);
