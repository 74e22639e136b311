-- An email being handed to the SMTP server is 'sending': a delivery worker claims it
-- (queued -> sending) in its own committed transaction before it connects, so no other
-- worker sends it meanwhile, and a later attempt that still finds it sending knows an
-- earlier one stopped midway. The SQLite twin of this file must stay equivalent.

-- +goose Up
ALTER TABLE emails DROP CONSTRAINT emails_status_check;
ALTER TABLE emails ADD CONSTRAINT emails_status_check CHECK (status IN ('queued', 'sending', 'sent', 'failed'));

-- +goose Down
UPDATE emails SET status = 'queued' WHERE status = 'sending';
ALTER TABLE emails DROP CONSTRAINT emails_status_check;
ALTER TABLE emails ADD CONSTRAINT emails_status_check CHECK (status IN ('queued', 'sent', 'failed'));
