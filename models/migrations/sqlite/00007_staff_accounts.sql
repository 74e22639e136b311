-- Accounts of the second release (docs/rules.md, "Staff roles"): staff sign in with a TOTP code once enrolled
-- (the secret, when they enrolled, and the last time step accepted, so that a code is
-- never accepted twice), with ten one-time recovery codes kept hashed; and an account can
-- be disabled. The PostgreSQL twin of this file must stay equivalent.

-- +goose Up
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_enrolled_at DATETIME;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN disabled_at DATETIME;

-- Each code is stored as SHA-256 of a random salt and the code (ASVS 2.6.2: a lookup
-- secret under 112 bits of entropy is salted and hashed).
CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    salt       TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    used_at    DATETIME,
    created_at DATETIME NOT NULL
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (user_id);

-- +goose Down
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN disabled_at;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enrolled_at;
ALTER TABLE users DROP COLUMN totp_secret;
