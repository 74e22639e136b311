-- Signatures of the machine API's requests, kept while they could still verify (their
-- timestamp within 300 s), so a replayed request is refused on every instance
-- (models/delivery.go). The PostgreSQL twin of this file must stay equivalent.

-- +goose Up
CREATE TABLE api_signatures (
    signature  TEXT NOT NULL PRIMARY KEY,
    expires_at DATETIME NOT NULL
);
CREATE INDEX api_signatures_expires_idx ON api_signatures (expires_at);

-- +goose Down
DROP TABLE api_signatures;
