-- An email being handed to the SMTP server is 'sending': a delivery worker claims it
-- (queued -> sending) in its own committed transaction before it connects, so no other
-- worker sends it meanwhile, and a later attempt that still finds it sending knows an
-- earlier one stopped midway. The PostgreSQL twin of this file must stay equivalent.
--
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt (no table
-- refers to emails, so dropping the old one breaks no foreign key).

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
    status     TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    sent_at    DATETIME
);
INSERT INTO emails_new SELECT id, user_id, recipient, kind, subject, body_text, body_html, dedupe_key, status, attempts, last_error, created_at, sent_at FROM emails;
DROP TABLE emails;
ALTER TABLE emails_new RENAME TO emails;
CREATE INDEX emails_status_idx ON emails (status, created_at);

-- +goose Down
CREATE TABLE emails_old (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT REFERENCES users (id),
    recipient  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body_text  TEXT NOT NULL,
    body_html  TEXT NOT NULL DEFAULT '',
    dedupe_key TEXT NOT NULL UNIQUE,
    status     TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    sent_at    DATETIME
);
INSERT INTO emails_old SELECT id, user_id, recipient, kind, subject, body_text, body_html, dedupe_key,
    CASE status WHEN 'sending' THEN 'queued' ELSE status END, attempts, last_error, created_at, sent_at FROM emails;
DROP TABLE emails;
ALTER TABLE emails_old RENAME TO emails;
CREATE INDEX emails_status_idx ON emails (status, created_at);
