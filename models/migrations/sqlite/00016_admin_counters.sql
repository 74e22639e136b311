-- More counter rows for the admin console (invitation_counts, email_counts, batch_counts,
-- ledger_counts) and the audit log's indexes: see the PostgreSQL twin of this file, which
-- must stay equivalent. Here, as in 00011, row triggers keep the counters: SQLite updates
-- a row in place and has one writer at a time. invitation_counts keeps PostgreSQL's 16
-- slots per program so both databases hold the same rows.

-- +goose Up
CREATE TABLE invitation_counts (
    program_id INTEGER NOT NULL REFERENCES programs (id),
    slot       INTEGER NOT NULL,
    invited    INTEGER NOT NULL,
    reminded   INTEGER NOT NULL,
    clicks     INTEGER NOT NULL,
    PRIMARY KEY (program_id, slot)
);
INSERT INTO invitation_counts (program_id, slot, invited, reminded, clicks)
    SELECT program_id, id % 16, COUNT(*), COUNT(reminded_at), SUM(clicks) FROM invitations GROUP BY 1, 2;

CREATE TABLE email_counts (
    status TEXT NOT NULL,
    kind   TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (status, kind)
);
INSERT INTO email_counts (status, kind, n) SELECT status, kind, COUNT(*) FROM emails GROUP BY 1, 2;

CREATE TABLE batch_counts (
    batch_month TEXT NOT NULL,
    program_id  INTEGER NOT NULL REFERENCES programs (id),
    status      TEXT NOT NULL,
    n           INTEGER NOT NULL,
    cents       INTEGER NOT NULL,
    PRIMARY KEY (batch_month, program_id, status)
);
INSERT INTO batch_counts (batch_month, program_id, status, n, cents)
    SELECT batch_month, program_id, status, COUNT(*), SUM(amount_cents) FROM payouts WHERE batch_month IS NOT NULL GROUP BY 1, 2, 3;

CREATE TABLE ledger_counts (
    kind        TEXT NOT NULL,
    batch_month TEXT NOT NULL,
    n           INTEGER NOT NULL,
    cents       INTEGER NOT NULL,
    PRIMARY KEY (kind, batch_month)
);
INSERT INTO ledger_counts (kind, batch_month, n, cents)
    SELECT le.kind, COALESCE(p.batch_month, ''), COUNT(*), SUM(le.amount_cents)
    FROM ledger_entries le LEFT JOIN payouts p ON p.id = le.payout_id GROUP BY 1, 2;

-- +goose StatementBegin
CREATE TRIGGER invitations_count_insert AFTER INSERT ON invitations BEGIN
    INSERT INTO invitation_counts (program_id, slot, invited, reminded, clicks)
        VALUES (NEW.program_id, NEW.id % 16, 1, NEW.reminded_at IS NOT NULL, NEW.clicks)
        ON CONFLICT (program_id, slot) DO UPDATE SET invited = invited + 1, reminded = reminded + excluded.reminded, clicks = clicks + excluded.clicks;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER invitations_count_delete AFTER DELETE ON invitations BEGIN
    UPDATE invitation_counts SET invited = invited - 1, reminded = reminded - (OLD.reminded_at IS NOT NULL), clicks = clicks - OLD.clicks
        WHERE program_id = OLD.program_id AND slot = OLD.id % 16;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER invitations_count_update AFTER UPDATE OF program_id, reminded_at, clicks ON invitations
    WHEN OLD.program_id IS NOT NEW.program_id OR (OLD.reminded_at IS NULL) IS NOT (NEW.reminded_at IS NULL) OR OLD.clicks IS NOT NEW.clicks
BEGIN
    UPDATE invitation_counts SET invited = invited - 1, reminded = reminded - (OLD.reminded_at IS NOT NULL), clicks = clicks - OLD.clicks
        WHERE program_id = OLD.program_id AND slot = OLD.id % 16;
    INSERT INTO invitation_counts (program_id, slot, invited, reminded, clicks)
        VALUES (NEW.program_id, NEW.id % 16, 1, NEW.reminded_at IS NOT NULL, NEW.clicks)
        ON CONFLICT (program_id, slot) DO UPDATE SET invited = invited + 1, reminded = reminded + excluded.reminded, clicks = clicks + excluded.clicks;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER emails_count_insert AFTER INSERT ON emails BEGIN
    INSERT INTO email_counts (status, kind, n) VALUES (NEW.status, NEW.kind, 1)
        ON CONFLICT (status, kind) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER emails_count_delete AFTER DELETE ON emails BEGIN
    UPDATE email_counts SET n = n - 1 WHERE status = OLD.status AND kind = OLD.kind;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER emails_count_update AFTER UPDATE OF status, kind ON emails
    WHEN OLD.status IS NOT NEW.status OR OLD.kind IS NOT NEW.kind
BEGIN
    UPDATE email_counts SET n = n - 1 WHERE status = OLD.status AND kind = OLD.kind;
    INSERT INTO email_counts (status, kind, n) VALUES (NEW.status, NEW.kind, 1)
        ON CONFLICT (status, kind) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER payouts_batch_insert AFTER INSERT ON payouts WHEN NEW.batch_month IS NOT NULL
BEGIN
    INSERT INTO batch_counts (batch_month, program_id, status, n, cents) VALUES (NEW.batch_month, NEW.program_id, NEW.status, 1, NEW.amount_cents)
        ON CONFLICT (batch_month, program_id, status) DO UPDATE SET n = n + 1, cents = cents + excluded.cents;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER payouts_batch_delete AFTER DELETE ON payouts WHEN OLD.batch_month IS NOT NULL
BEGIN
    UPDATE batch_counts SET n = n - 1, cents = cents - OLD.amount_cents
        WHERE batch_month = OLD.batch_month AND program_id = OLD.program_id AND status = OLD.status;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER payouts_batch_update AFTER UPDATE OF batch_month, program_id, status, amount_cents ON payouts
    WHEN OLD.batch_month IS NOT NEW.batch_month OR OLD.program_id IS NOT NEW.program_id OR OLD.status IS NOT NEW.status
        OR OLD.amount_cents IS NOT NEW.amount_cents
BEGIN
    UPDATE batch_counts SET n = n - 1, cents = cents - OLD.amount_cents
        WHERE batch_month = OLD.batch_month AND program_id = OLD.program_id AND status = OLD.status;
    INSERT INTO batch_counts (batch_month, program_id, status, n, cents)
        SELECT NEW.batch_month, NEW.program_id, NEW.status, 1, NEW.amount_cents WHERE NEW.batch_month IS NOT NULL
        ON CONFLICT (batch_month, program_id, status) DO UPDATE SET n = n + 1, cents = cents + excluded.cents;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER ledger_entries_count_insert AFTER INSERT ON ledger_entries BEGIN
    INSERT INTO ledger_counts (kind, batch_month, n, cents)
        SELECT NEW.kind, COALESCE((SELECT batch_month FROM payouts WHERE id = NEW.payout_id), ''), 1, NEW.amount_cents WHERE true
        ON CONFLICT (kind, batch_month) DO UPDATE SET n = n + 1, cents = cents + excluded.cents;
END;
-- +goose StatementEnd

DROP INDEX audit_events_created_idx;
CREATE INDEX audit_events_created_idx ON audit_events (created_at, id);
DROP INDEX audit_events_action_idx;
CREATE INDEX audit_events_action_idx ON audit_events (action, created_at, id);

-- +goose Down
DROP INDEX audit_events_action_idx;
CREATE INDEX audit_events_action_idx ON audit_events (action, created_at);
DROP INDEX audit_events_created_idx;
CREATE INDEX audit_events_created_idx ON audit_events (created_at);
DROP TRIGGER ledger_entries_count_insert;
DROP TRIGGER payouts_batch_update;
DROP TRIGGER payouts_batch_delete;
DROP TRIGGER payouts_batch_insert;
DROP TRIGGER emails_count_update;
DROP TRIGGER emails_count_delete;
DROP TRIGGER emails_count_insert;
DROP TRIGGER invitations_count_update;
DROP TRIGGER invitations_count_delete;
DROP TRIGGER invitations_count_insert;
DROP TABLE ledger_counts;
DROP TABLE batch_counts;
DROP TABLE email_counts;
DROP TABLE invitation_counts;
