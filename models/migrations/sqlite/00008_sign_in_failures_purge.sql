-- Rate-limit attempts are purged by age whenever one is recorded (models/attempts.go):
-- an index on the time alone makes that a short range, whatever the buckets. The
-- PostgreSQL twin of this file must stay equivalent.

-- +goose Up
CREATE INDEX sign_in_failures_created_idx ON sign_in_failures (created_at);

-- +goose Down
DROP INDEX sign_in_failures_created_idx;
