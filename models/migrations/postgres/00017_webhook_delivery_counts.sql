-- webhook_delivery_counts: deliveries per endpoint and status, kept like the counter rows
-- of 00011/00012/00016 (statement triggers on transition tables here, row triggers on
-- SQLite, in the transaction of every write), for the webhooks list and an endpoint's
-- page, which counted every delivery. A delivery is one row per event and endpoint, so
-- the table grows with every event; these are a few rows per endpoint.
-- The SQLite twin of this file must stay equivalent.

-- +goose Up
CREATE TABLE webhook_delivery_counts (
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id),
    status      TEXT NOT NULL,
    n           BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, status)
);
INSERT INTO webhook_delivery_counts (endpoint_id, status, n)
    SELECT endpoint_id, status, COUNT(*) FROM webhook_deliveries GROUP BY 1, 2;

-- +goose StatementBegin
CREATE FUNCTION count_webhook_deliveries() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO webhook_delivery_counts AS c (endpoint_id, status, n)
        SELECT endpoint_id, status, COUNT(*) FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (endpoint_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO webhook_delivery_counts AS c (endpoint_id, status, n)
        SELECT endpoint_id, status, -COUNT(*) FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (endpoint_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    ELSE
        INSERT INTO webhook_delivery_counts AS c (endpoint_id, status, n)
        SELECT endpoint_id, status, SUM(n) FROM (
            SELECT endpoint_id, status, 1 AS n FROM new_rows
            UNION ALL
            SELECT endpoint_id, status, -1 FROM old_rows
        ) d GROUP BY 1, 2 HAVING SUM(n) <> 0 ORDER BY 1, 2
        ON CONFLICT (endpoint_id, status) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER webhook_deliveries_count_insert AFTER INSERT ON webhook_deliveries REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_webhook_deliveries();
CREATE TRIGGER webhook_deliveries_count_update AFTER UPDATE ON webhook_deliveries REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_webhook_deliveries();
CREATE TRIGGER webhook_deliveries_count_delete AFTER DELETE ON webhook_deliveries REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION count_webhook_deliveries();

-- +goose Down
DROP TRIGGER webhook_deliveries_count_delete ON webhook_deliveries;
DROP TRIGGER webhook_deliveries_count_update ON webhook_deliveries;
DROP TRIGGER webhook_deliveries_count_insert ON webhook_deliveries;
DROP FUNCTION count_webhook_deliveries();
DROP TABLE webhook_delivery_counts;
