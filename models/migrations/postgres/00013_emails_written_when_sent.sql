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
-- The SQLite twin of this file must stay equivalent.

-- +goose Up
ALTER TABLE emails ADD COLUMN program_id BIGINT REFERENCES programs (id);
ALTER TABLE emails ADD COLUMN facts TEXT;
ALTER TABLE emails DROP CONSTRAINT emails_status_check;
ALTER TABLE emails ADD CONSTRAINT emails_status_check CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled'));
-- Unsubscribing cancels the person's queued email.
CREATE INDEX emails_user_idx ON emails (user_id, status);

CREATE TABLE installation (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    id        TEXT NOT NULL CHECK (length(id) >= 16)
);

-- +goose Down
DROP TABLE installation;
DROP INDEX emails_user_idx;
UPDATE emails SET status = 'failed', last_error = 'cancelled' WHERE status = 'cancelled';
ALTER TABLE emails DROP CONSTRAINT emails_status_check;
ALTER TABLE emails ADD CONSTRAINT emails_status_check CHECK (status IN ('queued', 'sending', 'sent', 'failed'));
ALTER TABLE emails DROP COLUMN facts;
ALTER TABLE emails DROP COLUMN program_id;
