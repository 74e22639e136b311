-- More counter rows for the admin console, kept like those of 00011/00012 (statement
-- triggers on transition tables here, row triggers on SQLite, in the transaction of
-- every write, whoever writes), so no admin page reads a whole table:
--
-- invitation_counts: invitations, those reminded and their clicks per program, for the
--   programs list and the overview (which counted every invitation). A click adds one to
--   its invitation's row: the counter rows are spread over 16 slots per program (the
--   invitation's id modulo 16) so that clicks on different links rarely wait for the
--   same counter row; readers add up a program's slots.
-- email_counts: emails per status and kind, for the outbox's tabs and its filtered
--   totals and the overview's failed emails (each counted up to 1,000 before).
-- batch_counts: payouts per batch month, program and status with their cents, for the
--   batches list (which read every payout of its months).
-- ledger_counts: ledger entries per kind and batch month of their payout ('' for none),
--   for the batches' reconciliation and the overview's ledger total. The ledger is
--   append-only, so only inserts count.
-- The audit log lists by (created_at, id) and (action, created_at, id): the indexes it
-- had stopped at created_at, so PostgreSQL sorted the whole log for each page.
-- The SQLite twin of this file must stay equivalent.

-- +goose Up
CREATE TABLE invitation_counts (
    program_id BIGINT NOT NULL REFERENCES programs (id),
    slot       SMALLINT NOT NULL,
    invited    BIGINT NOT NULL,
    reminded   BIGINT NOT NULL,
    clicks     BIGINT NOT NULL,
    PRIMARY KEY (program_id, slot)
);
INSERT INTO invitation_counts (program_id, slot, invited, reminded, clicks)
    SELECT program_id, id % 16, COUNT(*), COUNT(reminded_at), SUM(clicks) FROM invitations GROUP BY 1, 2;

CREATE TABLE email_counts (
    status TEXT NOT NULL,
    kind   TEXT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (status, kind)
);
INSERT INTO email_counts (status, kind, n) SELECT status, kind, COUNT(*) FROM emails GROUP BY 1, 2;

CREATE TABLE batch_counts (
    batch_month TEXT NOT NULL,
    program_id  BIGINT NOT NULL REFERENCES programs (id),
    status      TEXT NOT NULL,
    n           BIGINT NOT NULL,
    cents       BIGINT NOT NULL,
    PRIMARY KEY (batch_month, program_id, status)
);
INSERT INTO batch_counts (batch_month, program_id, status, n, cents)
    SELECT batch_month, program_id, status, COUNT(*), SUM(amount_cents) FROM payouts WHERE batch_month IS NOT NULL GROUP BY 1, 2, 3;

CREATE TABLE ledger_counts (
    kind        TEXT NOT NULL,
    batch_month TEXT NOT NULL,
    n           BIGINT NOT NULL,
    cents       BIGINT NOT NULL,
    PRIMARY KEY (kind, batch_month)
);
INSERT INTO ledger_counts (kind, batch_month, n, cents)
    SELECT le.kind, COALESCE(p.batch_month, ''), COUNT(*), SUM(le.amount_cents)
    FROM ledger_entries le LEFT JOIN payouts p ON p.id = le.payout_id GROUP BY 1, 2;

-- Each function adds up the statement's change per counter row (new rows count +1,
-- old rows -1; an update is both) and applies it in key order, as 00012's do. A
-- transition table exists only for the events that declare it, hence the branches.
-- +goose StatementBegin
CREATE FUNCTION count_invitations() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO invitation_counts AS c (program_id, slot, invited, reminded, clicks)
        SELECT program_id, id % 16, COUNT(*), COUNT(reminded_at), SUM(clicks) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (program_id, slot) DO UPDATE
            SET invited = c.invited + EXCLUDED.invited, reminded = c.reminded + EXCLUDED.reminded, clicks = c.clicks + EXCLUDED.clicks;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO invitation_counts AS c (program_id, slot, invited, reminded, clicks)
        SELECT program_id, id % 16, -COUNT(*), -COUNT(reminded_at), -SUM(clicks) FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (program_id, slot) DO UPDATE
            SET invited = c.invited + EXCLUDED.invited, reminded = c.reminded + EXCLUDED.reminded, clicks = c.clicks + EXCLUDED.clicks;
    ELSE
        INSERT INTO invitation_counts AS c (program_id, slot, invited, reminded, clicks)
        SELECT program_id, slot, SUM(i), SUM(r), SUM(k) FROM (
            SELECT program_id, id % 16 AS slot, 1 AS i, CASE WHEN reminded_at IS NULL THEN 0 ELSE 1 END AS r, clicks AS k FROM new_rows
            UNION ALL
            SELECT program_id, id % 16, -1, CASE WHEN reminded_at IS NULL THEN 0 ELSE -1 END, -clicks FROM old_rows
        ) d GROUP BY 1, 2 HAVING SUM(i) <> 0 OR SUM(r) <> 0 OR SUM(k) <> 0 ORDER BY 1, 2
        ON CONFLICT (program_id, slot) DO UPDATE
            SET invited = c.invited + EXCLUDED.invited, reminded = c.reminded + EXCLUDED.reminded, clicks = c.clicks + EXCLUDED.clicks;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION count_emails() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO email_counts AS c (status, kind, n)
        SELECT status, kind, COUNT(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (status, kind) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO email_counts AS c (status, kind, n)
        SELECT status, kind, -COUNT(*) FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (status, kind) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSE
        INSERT INTO email_counts AS c (status, kind, n)
        SELECT status, kind, SUM(n) FROM (
            SELECT status, kind, 1 AS n FROM new_rows
            UNION ALL
            SELECT status, kind, -1 FROM old_rows
        ) d GROUP BY 1, 2 HAVING SUM(n) <> 0 ORDER BY 1, 2
        ON CONFLICT (status, kind) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION count_batches() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO batch_counts AS c (batch_month, program_id, status, n, cents)
        SELECT batch_month, program_id, status, COUNT(*), SUM(amount_cents) FROM new_rows
        WHERE batch_month IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (batch_month, program_id, status) DO UPDATE SET n = c.n + EXCLUDED.n, cents = c.cents + EXCLUDED.cents;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO batch_counts AS c (batch_month, program_id, status, n, cents)
        SELECT batch_month, program_id, status, -COUNT(*), -SUM(amount_cents) FROM old_rows
        WHERE batch_month IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (batch_month, program_id, status) DO UPDATE SET n = c.n + EXCLUDED.n, cents = c.cents + EXCLUDED.cents;
    ELSE
        INSERT INTO batch_counts AS c (batch_month, program_id, status, n, cents)
        SELECT batch_month, program_id, status, SUM(n), SUM(cents) FROM (
            SELECT batch_month, program_id, status, 1 AS n, amount_cents AS cents FROM new_rows WHERE batch_month IS NOT NULL
            UNION ALL
            SELECT batch_month, program_id, status, -1, -amount_cents FROM old_rows WHERE batch_month IS NOT NULL
        ) d GROUP BY 1, 2, 3 HAVING SUM(n) <> 0 OR SUM(cents) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (batch_month, program_id, status) DO UPDATE SET n = c.n + EXCLUDED.n, cents = c.cents + EXCLUDED.cents;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION count_ledger() RETURNS trigger AS $$
BEGIN
    INSERT INTO ledger_counts AS c (kind, batch_month, n, cents)
    SELECT le.kind, COALESCE(p.batch_month, ''), COUNT(*), SUM(le.amount_cents)
    FROM new_rows le LEFT JOIN payouts p ON p.id = le.payout_id GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (kind, batch_month) DO UPDATE SET n = c.n + EXCLUDED.n, cents = c.cents + EXCLUDED.cents;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER invitations_count_insert AFTER INSERT ON invitations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_invitations();
CREATE TRIGGER invitations_count_update AFTER UPDATE ON invitations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_invitations();
CREATE TRIGGER invitations_count_delete AFTER DELETE ON invitations REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_invitations();
CREATE TRIGGER emails_count_insert AFTER INSERT ON emails REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_emails();
CREATE TRIGGER emails_count_update AFTER UPDATE ON emails REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_emails();
CREATE TRIGGER emails_count_delete AFTER DELETE ON emails REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_emails();
CREATE TRIGGER payouts_batch_insert AFTER INSERT ON payouts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_batches();
CREATE TRIGGER payouts_batch_update AFTER UPDATE ON payouts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_batches();
CREATE TRIGGER payouts_batch_delete AFTER DELETE ON payouts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_batches();
CREATE TRIGGER ledger_entries_count_insert AFTER INSERT ON ledger_entries REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_ledger();

DROP INDEX audit_events_created_idx;
CREATE INDEX audit_events_created_idx ON audit_events (created_at, id);
DROP INDEX audit_events_action_idx;
CREATE INDEX audit_events_action_idx ON audit_events (action, created_at, id);

-- +goose Down
DROP INDEX audit_events_action_idx;
CREATE INDEX audit_events_action_idx ON audit_events (action, created_at);
DROP INDEX audit_events_created_idx;
CREATE INDEX audit_events_created_idx ON audit_events (created_at);
DROP TRIGGER ledger_entries_count_insert ON ledger_entries;
DROP TRIGGER payouts_batch_delete ON payouts;
DROP TRIGGER payouts_batch_update ON payouts;
DROP TRIGGER payouts_batch_insert ON payouts;
DROP TRIGGER emails_count_delete ON emails;
DROP TRIGGER emails_count_update ON emails;
DROP TRIGGER emails_count_insert ON emails;
DROP TRIGGER invitations_count_delete ON invitations;
DROP TRIGGER invitations_count_update ON invitations;
DROP TRIGGER invitations_count_insert ON invitations;
DROP FUNCTION count_ledger();
DROP FUNCTION count_batches();
DROP FUNCTION count_emails();
DROP FUNCTION count_invitations();
DROP TABLE ledger_counts;
DROP TABLE batch_counts;
DROP TABLE email_counts;
DROP TABLE invitation_counts;
