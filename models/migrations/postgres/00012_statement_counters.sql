-- The counter rows of 00011 (payout_counts, referral_counts, daily_counts) were kept by
-- row triggers: on PostgreSQL a statement that writes many rows of one program then
-- updates one counter row as many times in one transaction, and each update walks the
-- row's chain of versions made by the ones before, so a 1000-row statement took seconds.
-- Here each trigger runs once per statement on its transition tables, adding up the
-- change per counter row first (in key order, so concurrent statements lock counter rows
-- in the same order and never deadlock). Same counts, same moments. SQLite updates a row
-- in place, so its row triggers stay (its twin of this file changes nothing).

-- +goose Up
DROP TRIGGER payouts_count_insert ON payouts;
DROP TRIGGER payouts_count_update ON payouts;
DROP TRIGGER payouts_days_paid_insert ON payouts;
DROP TRIGGER payouts_days_paid ON payouts;
DROP TRIGGER referrals_count_insert ON referrals;
DROP TRIGGER referrals_count_update ON referrals;
DROP TRIGGER referrals_days_insert ON referrals;
DROP TRIGGER referrals_days_qualified ON referrals;
DROP FUNCTION count_payouts();
DROP FUNCTION count_referrals();
DROP FUNCTION count_referral_days();
DROP FUNCTION count_paid_days();

-- +goose StatementBegin
CREATE FUNCTION count_payouts() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO payout_counts AS c (program_id, status, n, cents)
        SELECT program_id, status, COUNT(*), SUM(amount_cents) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (program_id, status) DO UPDATE SET n = c.n + EXCLUDED.n, cents = c.cents + EXCLUDED.cents;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO payout_counts AS c (program_id, status, n, cents)
        SELECT program_id, status, -COUNT(*), -SUM(amount_cents) FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (program_id, status) DO UPDATE SET n = c.n + EXCLUDED.n, cents = c.cents + EXCLUDED.cents;
    ELSE
        INSERT INTO payout_counts AS c (program_id, status, n, cents)
        SELECT program_id, status, SUM(n), SUM(cents) FROM (
            SELECT program_id, status, 1 AS n, amount_cents AS cents FROM new_rows
            UNION ALL
            SELECT program_id, status, -1, -amount_cents FROM old_rows
        ) d GROUP BY 1, 2 HAVING SUM(n) <> 0 OR SUM(cents) <> 0 ORDER BY 1, 2
        ON CONFLICT (program_id, status) DO UPDATE SET n = c.n + EXCLUDED.n, cents = c.cents + EXCLUDED.cents;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION count_referrals() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO referral_counts AS c (program_id, status, n)
        SELECT program_id, status, COUNT(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (program_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO referral_counts AS c (program_id, status, n)
        SELECT program_id, status, -COUNT(*) FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (program_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSE
        INSERT INTO referral_counts AS c (program_id, status, n)
        SELECT program_id, status, SUM(n) FROM (
            SELECT program_id, status, 1 AS n FROM new_rows
            UNION ALL
            SELECT program_id, status, -1 FROM old_rows
        ) d GROUP BY 1, 2 HAVING SUM(n) <> 0 ORDER BY 1, 2
        ON CONFLICT (program_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION count_referral_days() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO daily_counts AS c (program_id, day, signups, qualified)
        SELECT program_id, day, SUM(s), SUM(q) FROM (
            SELECT program_id, to_char(registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, 1 AS s, 0 AS q FROM new_rows
            UNION ALL
            SELECT program_id, to_char(qualified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 0, 1 FROM new_rows WHERE qualified_at IS NOT NULL
        ) d GROUP BY program_id, day ORDER BY program_id, day
        ON CONFLICT (program_id, day) DO UPDATE SET signups = c.signups + EXCLUDED.signups, qualified = c.qualified + EXCLUDED.qualified;
    ELSE
        INSERT INTO daily_counts AS c (program_id, day, qualified)
        SELECT n.program_id, to_char(n.qualified_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, COUNT(*)
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE o.qualified_at IS NULL AND n.qualified_at IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (program_id, day) DO UPDATE SET qualified = c.qualified + EXCLUDED.qualified;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION count_paid_days() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO daily_counts AS c (program_id, day, paid, paid_cents)
        SELECT program_id, to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, COUNT(*), SUM(amount_cents)
        FROM new_rows WHERE paid_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (program_id, day) DO UPDATE SET paid = c.paid + EXCLUDED.paid, paid_cents = c.paid_cents + EXCLUDED.paid_cents;
    ELSE
        INSERT INTO daily_counts AS c (program_id, day, paid, paid_cents)
        SELECT n.program_id, to_char(n.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, COUNT(*), SUM(n.amount_cents)
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE o.paid_at IS NULL AND n.paid_at IS NOT NULL
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (program_id, day) DO UPDATE SET paid = c.paid + EXCLUDED.paid, paid_cents = c.paid_cents + EXCLUDED.paid_cents;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER payouts_count_insert AFTER INSERT ON payouts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_payouts();
CREATE TRIGGER payouts_count_update AFTER UPDATE ON payouts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_payouts();
CREATE TRIGGER payouts_count_delete AFTER DELETE ON payouts REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_payouts();
CREATE TRIGGER payouts_days_paid_insert AFTER INSERT ON payouts REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_paid_days();
CREATE TRIGGER payouts_days_paid AFTER UPDATE ON payouts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_paid_days();
CREATE TRIGGER referrals_count_insert AFTER INSERT ON referrals REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_referrals();
CREATE TRIGGER referrals_count_update AFTER UPDATE ON referrals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_referrals();
CREATE TRIGGER referrals_count_delete AFTER DELETE ON referrals REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_referrals();
CREATE TRIGGER referrals_days_insert AFTER INSERT ON referrals REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_referral_days();
CREATE TRIGGER referrals_days_qualified AFTER UPDATE ON referrals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_referral_days();

-- +goose Down
DROP TRIGGER referrals_days_qualified ON referrals;
DROP TRIGGER referrals_days_insert ON referrals;
DROP TRIGGER referrals_count_delete ON referrals;
DROP TRIGGER referrals_count_update ON referrals;
DROP TRIGGER referrals_count_insert ON referrals;
DROP TRIGGER payouts_days_paid ON payouts;
DROP TRIGGER payouts_days_paid_insert ON payouts;
DROP TRIGGER payouts_count_delete ON payouts;
DROP TRIGGER payouts_count_update ON payouts;
DROP TRIGGER payouts_count_insert ON payouts;
DROP FUNCTION count_paid_days();
DROP FUNCTION count_referral_days();
DROP FUNCTION count_referrals();
DROP FUNCTION count_payouts();
-- 00011's row triggers, as they were.
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
