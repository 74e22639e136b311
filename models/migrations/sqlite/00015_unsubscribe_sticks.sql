-- When a person turned marketing email off themselves (the unsubscribe link or
-- /settings). Once set, the marketplace's profile sync cannot turn it back on: only the
-- person can, in /settings, which clears it. The SQLite twin of this file must stay
-- equivalent.

-- +goose Up
ALTER TABLE users ADD COLUMN unsubscribed_at DATETIME;

-- +goose Down
ALTER TABLE users DROP COLUMN unsubscribed_at;
