-- The whole domain of docs/rules.md. The constraints here carry the rules: one account per
-- email, one referral per friend, one payout per referral, one ledger credit per payout,
-- one earning per external id. The PostgreSQL twin of this file must stay equivalent.

-- +goose Up
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
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_client_account_id_idx ON users (client_account_id);

-- Addresses a user signed up or signed in from (the same_ip flag of R12).
CREATE TABLE user_ips (
    user_id    BIGINT NOT NULL REFERENCES users (id),
    ip         TEXT NOT NULL,
    first_seen DATETIME NOT NULL,
    last_seen  DATETIME NOT NULL,
    PRIMARY KEY (user_id, ip)
);
CREATE INDEX user_ips_ip_idx ON user_ips (ip);

-- Failed sign-ins, keyed by account and by IP, for rate limiting across instances.
CREATE TABLE sign_in_failures (
    id         INTEGER PRIMARY KEY,
    bucket     TEXT NOT NULL,
    created_at DATETIME NOT NULL
);
CREATE INDEX sign_in_failures_bucket_idx ON sign_in_failures (bucket, created_at);

CREATE TABLE programs (
    id                   INTEGER PRIMARY KEY,
    slug                 TEXT NOT NULL UNIQUE CHECK (slug <> ''),
    name                 TEXT NOT NULL CHECK (name <> ''),
    categories           TEXT NOT NULL,
    threshold_cents      BIGINT NOT NULL CHECK (threshold_cents > 0),
    reward_cents         BIGINT NOT NULL CHECK (reward_cents > 0),
    deadline             DATETIME NOT NULL,
    time_zone            TEXT NOT NULL,
    countries            TEXT NOT NULL,
    requires_top_rated   BOOLEAN NOT NULL,
    perk_months          INTEGER NOT NULL CHECK (perk_months >= 0),
    payout_business_days INTEGER NOT NULL CHECK (payout_business_days >= 1),
    reminder_days        INTEGER NOT NULL CHECK (reminder_days >= 1),
    status               TEXT NOT NULL CHECK (status IN ('draft', 'active', 'ended')),
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL
);

CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    program_id  BIGINT NOT NULL REFERENCES programs (id),
    referrer_id BIGINT NOT NULL REFERENCES users (id),
    code        TEXT NOT NULL UNIQUE CHECK (length(code) >= 8),
    invited_at  DATETIME NOT NULL,
    reminded_at DATETIME,
    clicks      BIGINT NOT NULL DEFAULT 0 CHECK (clicks >= 0),
    UNIQUE (program_id, referrer_id)
);
CREATE INDEX invitations_referrer_idx ON invitations (referrer_id);

CREATE TABLE referrals (
    id            INTEGER PRIMARY KEY,
    program_id    BIGINT NOT NULL REFERENCES programs (id),
    invitation_id BIGINT NOT NULL REFERENCES invitations (id),
    referrer_id   BIGINT NOT NULL REFERENCES users (id),
    friend_id     BIGINT NOT NULL UNIQUE REFERENCES users (id),
    registered_at DATETIME NOT NULL,
    counted_cents BIGINT NOT NULL DEFAULT 0,
    status        TEXT NOT NULL CHECK (status IN ('registered', 'earning', 'qualified')),
    qualified_at  DATETIME,
    CHECK (friend_id <> referrer_id),
    CHECK ((status = 'qualified') = (qualified_at IS NOT NULL))
);
CREATE INDEX referrals_referrer_idx ON referrals (referrer_id, program_id, registered_at);
CREATE INDEX referrals_program_status_idx ON referrals (program_id, status);

-- Every event ever received, counted or not, so a redelivery is recognised (R7).
CREATE TABLE earnings (
    id               INTEGER PRIMARY KEY,
    external_id      TEXT NOT NULL UNIQUE CHECK (external_id <> ''),
    freelancer_email TEXT NOT NULL,
    freelancer_id    BIGINT REFERENCES users (id),
    referral_id      BIGINT REFERENCES referrals (id),
    amount_cents     BIGINT NOT NULL CHECK (amount_cents <> 0),
    currency         TEXT NOT NULL,
    category         TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    occurred_at      DATETIME NOT NULL,
    received_at      DATETIME NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('counted', 'ignored')),
    reason           TEXT NOT NULL DEFAULT '',
    payload_hash     TEXT NOT NULL,
    CHECK ((status = 'counted') = (referral_id IS NOT NULL))
);
CREATE INDEX earnings_referral_idx ON earnings (referral_id, occurred_at);
CREATE INDEX earnings_freelancer_idx ON earnings (freelancer_id);

CREATE TABLE payouts (
    id            INTEGER PRIMARY KEY,
    referral_id   BIGINT NOT NULL UNIQUE REFERENCES referrals (id),
    program_id    BIGINT NOT NULL REFERENCES programs (id),
    referrer_id   BIGINT NOT NULL REFERENCES users (id),
    amount_cents  BIGINT NOT NULL CHECK (amount_cents > 0),
    status        TEXT NOT NULL CHECK (status IN ('pending_review', 'approved', 'rejected', 'paid')),
    flags         TEXT NOT NULL DEFAULT '[]',
    decided_by    BIGINT REFERENCES users (id),
    decided_at    DATETIME,
    reject_reason TEXT NOT NULL DEFAULT '',
    batch_month   TEXT,
    paid_at       DATETIME,
    created_at    DATETIME NOT NULL,
    CHECK (status <> 'rejected' OR reject_reason <> ''),
    CHECK (status NOT IN ('approved', 'paid') OR batch_month IS NOT NULL),
    CHECK ((status = 'paid') = (paid_at IS NOT NULL))
);
CREATE INDEX payouts_status_idx ON payouts (status, created_at);
CREATE INDEX payouts_batch_idx ON payouts (batch_month, status);
CREATE INDEX payouts_referrer_idx ON payouts (referrer_id);

CREATE TABLE ledger_entries (
    id           INTEGER PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id),
    payout_id    BIGINT UNIQUE REFERENCES payouts (id),
    amount_cents BIGINT NOT NULL,
    fee_cents    BIGINT NOT NULL DEFAULT 0 CHECK (fee_cents >= 0),
    kind         TEXT NOT NULL,
    description  TEXT NOT NULL,
    reference    TEXT NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL
);
CREATE INDEX ledger_entries_user_idx ON ledger_entries (user_id, created_at);

CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY,
    actor_id   BIGINT REFERENCES users (id),
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    details    TEXT NOT NULL DEFAULT '',
    ip         TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL
);
CREATE INDEX audit_events_created_idx ON audit_events (created_at);
CREATE INDEX audit_events_action_idx ON audit_events (action, created_at);

CREATE TABLE emails (
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
CREATE INDEX emails_status_idx ON emails (status, created_at);

-- Money and audit history are append-only: corrections are new rows, never edits.
-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE emails;
DROP TABLE audit_events;
DROP TABLE ledger_entries;
DROP TABLE payouts;
DROP TABLE earnings;
DROP TABLE referrals;
DROP TABLE invitations;
DROP TABLE programs;
DROP TABLE sign_in_failures;
DROP TABLE user_ips;
DROP TABLE users;
