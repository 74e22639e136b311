-- Outgoing webhooks (Standard Webhooks 1.0). An owner registers endpoints; each event
-- (a referral registered or qualified, a payout approved, rejected or paid) is recorded
-- once, in the transaction of the change, with one delivery per endpoint that wants its
-- type, each worked by a River job until the endpoint answers 2xx or a day has passed.
-- The PostgreSQL twin of this file must stay equivalent.

-- +goose Up
CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL CHECK (url <> ''),
    -- The event types it receives, a JSON array.
    events          TEXT NOT NULL,
    -- whsec_ and the base64 of the signing key; shown once, when the endpoint is made.
    secret          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    -- When the first failure since the last success happened; a day of failures
    -- disables the endpoint.
    failing_since   DATETIME,
    disabled_at     DATETIME,
    -- Why it is disabled: by whom, or after how long failing.
    disabled_reason TEXT NOT NULL DEFAULT '',
    created_by      BIGINT REFERENCES users (id),
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    CHECK ((status = 'disabled') = (disabled_at IS NOT NULL))
);

-- One row per event: its webhook-id and the exact body every endpoint receives. The
-- dedupe key (e.g. payout.paid:12) makes a change that runs twice record it once.
CREATE TABLE webhook_events (
    id         INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    created_at DATETIME NOT NULL
);

-- One row per event and endpoint. generation grows with each manual retry, so only the
-- newest job of a delivery records its outcome.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    event_id         BIGINT NOT NULL REFERENCES webhook_events (id),
    endpoint_id      BIGINT NOT NULL REFERENCES webhook_endpoints (id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    generation       INTEGER NOT NULL DEFAULT 1 CHECK (generation >= 1),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_attempt_at  DATETIME,
    last_status_code INTEGER,
    last_error       TEXT NOT NULL DEFAULT '',
    next_attempt_at  DATETIME,
    give_up_at       DATETIME NOT NULL,
    delivered_at     DATETIME,
    created_at       DATETIME NOT NULL,
    UNIQUE (event_id, endpoint_id),
    CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_status_idx ON webhook_deliveries (status, endpoint_id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhook_endpoints;
