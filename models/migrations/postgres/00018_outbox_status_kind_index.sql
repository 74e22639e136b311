-- The outbox filtered by status and kind (e.g. the queued invitations) had an index on
-- each column, each ordered by created_at: SQLite 3.54 took the status one and walked
-- every queued email of other kinds newest first to find 26 invitations (200,000 rows,
-- 120 ms, at bench scale 1), and PostgreSQL would do the same with the kind one once
-- most invitations are sent. This index answers the filter in order.
-- The SQLite twin of this file must stay equivalent.

-- +goose Up
CREATE INDEX emails_status_kind_idx ON emails (status, kind, created_at, id);

-- +goose Down
DROP INDEX emails_status_kind_idx;
