-- Indexes for the admin lists that grow with every month of the program, so each page
-- reads its rows in order from an index instead of sorting the whole table: the review
-- queue's decided tabs (approved, paid, rejected: most recent decision first) and the
-- referrals list (most recent sign-up first). The SQLite twin of this file must stay
-- equivalent.

-- +goose Up
CREATE INDEX payouts_status_decided_idx ON payouts (status, decided_at, id);
CREATE INDEX referrals_registered_idx ON referrals (registered_at, id);

-- +goose Down
DROP INDEX referrals_registered_idx;
DROP INDEX payouts_status_decided_idx;
