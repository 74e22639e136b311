-- Staff roles (docs/rules.md): an admin becomes an owner, and staff may also be reviewers or
-- finance. The PostgreSQL twin of this file must stay equivalent.
--
-- SQLite cannot change a CHECK constraint in place, so users is rebuilt. Other tables
-- refer to users, and foreign keys stay on: with defer_foreign_keys the implicit delete
-- of DROP TABLE counts each referring row as a pending violation, and putting the same
-- rows (same ids) back into the new users table resolves every one of them before the
-- commit checks. The copy names every column of users as it stands after 00004.

-- +goose Up
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE users_copy AS SELECT * FROM users;
DROP TABLE users;
CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    role              TEXT NOT NULL CHECK (role IN ('freelancer', 'reviewer', 'finance', 'owner')),
    email             TEXT NOT NULL CHECK (email <> '' AND email = lower(trim(email))),
    name              TEXT NOT NULL,
    password_hash     TEXT NOT NULL DEFAULT '',
    country           TEXT NOT NULL DEFAULT '' CHECK (country = '' OR length(country) = 2),
    top_rated         BOOLEAN NOT NULL DEFAULT FALSE,
    email_opt_out     BOOLEAN NOT NULL DEFAULT FALSE,
    client_account_id TEXT,
    plus_until        DATETIME,
    signup_ip         TEXT NOT NULL DEFAULT '',
    session_version   BIGINT NOT NULL DEFAULT 1,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL
);
INSERT INTO users (id, role, email, name, password_hash, country, top_rated, email_opt_out,
        client_account_id, plus_until, signup_ip, session_version, created_at, updated_at)
    SELECT id, CASE role WHEN 'admin' THEN 'owner' ELSE role END, email, name, password_hash, country,
        top_rated, email_opt_out, client_account_id, plus_until, signup_ip, session_version, created_at, updated_at
    FROM users_copy;
DROP TABLE users_copy;
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_client_account_id_idx ON users (client_account_id);

-- +goose Down
PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE users_copy AS SELECT * FROM users;
DROP TABLE users;
CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    role              TEXT NOT NULL CHECK (role IN ('freelancer', 'admin')),
    email             TEXT NOT NULL CHECK (email <> '' AND email = lower(trim(email))),
    name              TEXT NOT NULL,
    password_hash     TEXT NOT NULL DEFAULT '',
    country           TEXT NOT NULL DEFAULT '' CHECK (country = '' OR length(country) = 2),
    top_rated         BOOLEAN NOT NULL DEFAULT FALSE,
    email_opt_out     BOOLEAN NOT NULL DEFAULT FALSE,
    client_account_id TEXT,
    plus_until        DATETIME,
    signup_ip         TEXT NOT NULL DEFAULT '',
    session_version   BIGINT NOT NULL DEFAULT 1,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL
);
INSERT INTO users (id, role, email, name, password_hash, country, top_rated, email_opt_out,
        client_account_id, plus_until, signup_ip, session_version, created_at, updated_at)
    SELECT id, CASE role WHEN 'freelancer' THEN 'freelancer' ELSE 'admin' END, email, name, password_hash, country,
        top_rated, email_opt_out, client_account_id, plus_until, signup_ip, session_version, created_at, updated_at
    FROM users_copy;
DROP TABLE users_copy;
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_client_account_id_idx ON users (client_account_id);
