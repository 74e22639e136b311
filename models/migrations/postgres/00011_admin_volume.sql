-- The admin console at volume (review queue triage, counts that do not read whole tables).
--
-- risk: the severity of a payout's most severe flag (0 referrer_is_client, 1 similar_email,
-- 2 same_ip, 3 single_client, 4 below_threshold, 5 fast, 6 none; models.FlagsBySeverity
-- lists the same order, and a test checks they agree), computed by the database from the
-- flags so it can never disagree with them, and indexed for the queue's sort=risk.
-- One partial index per flag serves the queue's flag filter; queries name the flag as a
-- literal (it is one of a fixed list), as both planners match a partial index only on the
-- same text. payout_counts and referral_counts are the number of payouts (and their
-- cents) and referrals per program and status, kept by triggers in the same transaction
-- as every insert and status change, whoever writes the row: the queue's tabs, the
-- overview and the referrals list read a few rows instead of counting whole tables.
-- The SQLite twin of this file must stay equivalent.

-- +goose Up
ALTER TABLE payouts ADD COLUMN risk SMALLINT NOT NULL GENERATED ALWAYS AS (CASE
        WHEN flags LIKE '%"referrer_is_client"%' THEN 0
        WHEN flags LIKE '%"similar_email"%' THEN 1
        WHEN flags LIKE '%"same_ip"%' THEN 2
        WHEN flags LIKE '%"single_client"%' THEN 3
        WHEN flags LIKE '%"below_threshold"%' THEN 4
        WHEN flags LIKE '%"fast"%' THEN 5
        ELSE 6 END) STORED;
CREATE INDEX payouts_status_risk_idx ON payouts (status, risk, created_at, id);
CREATE INDEX payouts_created_idx ON payouts (created_at, id);
CREATE INDEX emails_created_idx ON emails (created_at, id);
CREATE INDEX payouts_unpaid_batch_idx ON payouts (status, batch_month);
CREATE INDEX referrals_status_registered_idx ON referrals (status, registered_at, id);
CREATE INDEX referrals_qualified_idx ON referrals (qualified_at) WHERE qualified_at IS NOT NULL;
CREATE INDEX payouts_paid_idx ON payouts (paid_at) WHERE paid_at IS NOT NULL;
CREATE INDEX emails_kind_idx ON emails (kind, created_at, id);
DROP INDEX payouts_status_idx;
CREATE INDEX payouts_status_idx ON payouts (status, created_at, id);
CREATE INDEX payouts_flag_referrer_is_client_idx ON payouts (status, created_at, id) WHERE flags LIKE '%"referrer_is_client"%';
CREATE INDEX payouts_flag_similar_email_idx ON payouts (status, created_at, id) WHERE flags LIKE '%"similar_email"%';
CREATE INDEX payouts_flag_same_ip_idx ON payouts (status, created_at, id) WHERE flags LIKE '%"same_ip"%';
CREATE INDEX payouts_flag_single_client_idx ON payouts (status, created_at, id) WHERE flags LIKE '%"single_client"%';
CREATE INDEX payouts_flag_below_threshold_idx ON payouts (status, created_at, id) WHERE flags LIKE '%"below_threshold"%';
CREATE INDEX payouts_flag_fast_idx ON payouts (status, created_at, id) WHERE flags LIKE '%"fast"%';

CREATE TABLE payout_counts (
    program_id BIGINT NOT NULL REFERENCES programs (id),
    status     TEXT NOT NULL,
    n          BIGINT NOT NULL,
    cents      BIGINT NOT NULL,
    PRIMARY KEY (program_id, status)
);
INSERT INTO payout_counts (program_id, status, n, cents)
    SELECT program_id, status, COUNT(*), SUM(amount_cents) FROM payouts GROUP BY program_id, status;

CREATE TABLE referral_counts (
    program_id BIGINT NOT NULL REFERENCES programs (id),
    status     TEXT NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (program_id, status)
);
INSERT INTO referral_counts (program_id, status, n)
    SELECT program_id, status, COUNT(*) FROM referrals GROUP BY program_id, status;

-- +goose StatementBegin
CREATE FUNCTION count_payouts() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE payout_counts SET n = n - 1, cents = cents - OLD.amount_cents
            WHERE program_id = OLD.program_id AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO payout_counts AS c (program_id, status, n, cents) VALUES (NEW.program_id, NEW.status, 1, NEW.amount_cents)
            ON CONFLICT (program_id, status) DO UPDATE SET n = c.n + 1, cents = c.cents + EXCLUDED.cents;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER payouts_count_insert AFTER INSERT OR DELETE ON payouts
    FOR EACH ROW EXECUTE FUNCTION count_payouts();
CREATE TRIGGER payouts_count_update AFTER UPDATE OF status, program_id, amount_cents ON payouts
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.program_id IS DISTINCT FROM NEW.program_id
        OR OLD.amount_cents IS DISTINCT FROM NEW.amount_cents)
    EXECUTE FUNCTION count_payouts();

-- +goose StatementBegin
CREATE FUNCTION count_referrals() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE referral_counts SET n = n - 1 WHERE program_id = OLD.program_id AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO referral_counts AS c (program_id, status, n) VALUES (NEW.program_id, NEW.status, 1)
            ON CONFLICT (program_id, status) DO UPDATE SET n = c.n + 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER referrals_count_insert AFTER INSERT OR DELETE ON referrals
    FOR EACH ROW EXECUTE FUNCTION count_referrals();
CREATE TRIGGER referrals_count_update AFTER UPDATE OF status, program_id ON referrals
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.program_id IS DISTINCT FROM NEW.program_id)
    EXECUTE FUNCTION count_referrals();

-- daily_counts: per program and UTC day, the friends who signed up, those who qualified
-- and the credits paid (count and cents), kept by the same kind of triggers, so the
-- overview's weekly series reads a few hundred rows whatever the data.
CREATE TABLE daily_counts (
    program_id BIGINT NOT NULL REFERENCES programs (id),
    day        TEXT NOT NULL CHECK (length(day) = 10),
    signups    BIGINT NOT NULL DEFAULT 0,
    qualified  BIGINT NOT NULL DEFAULT 0,
    paid       BIGINT NOT NULL DEFAULT 0,
    paid_cents BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, day)
);
INSERT INTO daily_counts (program_id, day, signups)
    SELECT program_id, to_char(registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), COUNT(*) FROM referrals GROUP BY 1, 2;
INSERT INTO daily_counts AS c (program_id, day, qualified)
    SELECT program_id, to_char(qualified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), COUNT(*) FROM referrals WHERE qualified_at IS NOT NULL GROUP BY 1, 2
    ON CONFLICT (program_id, day) DO UPDATE SET qualified = EXCLUDED.qualified;
INSERT INTO daily_counts AS c (program_id, day, paid, paid_cents)
    SELECT program_id, to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), COUNT(*), SUM(amount_cents) FROM payouts WHERE paid_at IS NOT NULL GROUP BY 1, 2
    ON CONFLICT (program_id, day) DO UPDATE SET paid = EXCLUDED.paid, paid_cents = EXCLUDED.paid_cents;

-- +goose StatementBegin
CREATE FUNCTION count_referral_days() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO daily_counts AS c (program_id, day, signups) VALUES (NEW.program_id, to_char(NEW.registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 1)
            ON CONFLICT (program_id, day) DO UPDATE SET signups = c.signups + 1;
    END IF;
    IF NEW.qualified_at IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.qualified_at IS NULL) THEN
        INSERT INTO daily_counts AS c (program_id, day, qualified) VALUES (NEW.program_id, to_char(NEW.qualified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 1)
            ON CONFLICT (program_id, day) DO UPDATE SET qualified = c.qualified + 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER referrals_days_insert AFTER INSERT ON referrals
    FOR EACH ROW EXECUTE FUNCTION count_referral_days();
CREATE TRIGGER referrals_days_qualified AFTER UPDATE OF qualified_at ON referrals
    FOR EACH ROW WHEN (OLD.qualified_at IS NULL AND NEW.qualified_at IS NOT NULL)
    EXECUTE FUNCTION count_referral_days();

-- +goose StatementBegin
CREATE FUNCTION count_paid_days() RETURNS trigger AS $$
BEGIN
    INSERT INTO daily_counts AS c (program_id, day, paid, paid_cents) VALUES (NEW.program_id, to_char(NEW.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 1, NEW.amount_cents)
        ON CONFLICT (program_id, day) DO UPDATE SET paid = c.paid + 1, paid_cents = c.paid_cents + EXCLUDED.paid_cents;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER payouts_days_paid_insert AFTER INSERT ON payouts
    FOR EACH ROW WHEN (NEW.paid_at IS NOT NULL)
    EXECUTE FUNCTION count_paid_days();
CREATE TRIGGER payouts_days_paid AFTER UPDATE OF paid_at ON payouts
    FOR EACH ROW WHEN (OLD.paid_at IS NULL AND NEW.paid_at IS NOT NULL)
    EXECUTE FUNCTION count_paid_days();

-- +goose Down
DROP TRIGGER payouts_days_paid ON payouts;
DROP TRIGGER payouts_days_paid_insert ON payouts;
DROP FUNCTION count_paid_days();
DROP TRIGGER referrals_days_qualified ON referrals;
DROP TRIGGER referrals_days_insert ON referrals;
DROP FUNCTION count_referral_days();
DROP TABLE daily_counts;
DROP TRIGGER referrals_count_update ON referrals;
DROP TRIGGER referrals_count_insert ON referrals;
DROP FUNCTION count_referrals();
DROP TRIGGER payouts_count_update ON payouts;
DROP TRIGGER payouts_count_insert ON payouts;
DROP FUNCTION count_payouts();
DROP TABLE referral_counts;
DROP TABLE payout_counts;
DROP INDEX payouts_flag_referrer_is_client_idx;
DROP INDEX payouts_flag_similar_email_idx;
DROP INDEX payouts_flag_same_ip_idx;
DROP INDEX payouts_flag_single_client_idx;
DROP INDEX payouts_flag_below_threshold_idx;
DROP INDEX payouts_flag_fast_idx;
DROP INDEX payouts_status_idx;
CREATE INDEX payouts_status_idx ON payouts (status, created_at);
DROP INDEX emails_kind_idx;
DROP INDEX payouts_paid_idx;
DROP INDEX referrals_qualified_idx;
DROP INDEX referrals_status_registered_idx;
DROP INDEX payouts_unpaid_batch_idx;
DROP INDEX emails_created_idx;
DROP INDEX payouts_created_idx;
DROP INDEX payouts_status_risk_idx;
ALTER TABLE payouts DROP COLUMN risk;
