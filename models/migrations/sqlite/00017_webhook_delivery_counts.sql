-- webhook_delivery_counts: see the PostgreSQL twin of this file, which must stay
-- equivalent; here row triggers keep it, as in 00011.

-- +goose Up
CREATE TABLE webhook_delivery_counts (
    endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints (id),
    status      TEXT NOT NULL,
    n           INTEGER NOT NULL,
    PRIMARY KEY (endpoint_id, status)
);
INSERT INTO webhook_delivery_counts (endpoint_id, status, n)
    SELECT endpoint_id, status, COUNT(*) FROM webhook_deliveries GROUP BY 1, 2;

-- +goose StatementBegin
CREATE TRIGGER webhook_deliveries_count_insert AFTER INSERT ON webhook_deliveries BEGIN
    INSERT INTO webhook_delivery_counts (endpoint_id, status, n) VALUES (NEW.endpoint_id, NEW.status, 1)
        ON CONFLICT (endpoint_id, status) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER webhook_deliveries_count_delete AFTER DELETE ON webhook_deliveries BEGIN
    UPDATE webhook_delivery_counts SET n = n - 1 WHERE endpoint_id = OLD.endpoint_id AND status = OLD.status;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER webhook_deliveries_count_update AFTER UPDATE OF endpoint_id, status ON webhook_deliveries
    WHEN OLD.endpoint_id IS NOT NEW.endpoint_id OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE webhook_delivery_counts SET n = n - 1 WHERE endpoint_id = OLD.endpoint_id AND status = OLD.status;
    INSERT INTO webhook_delivery_counts (endpoint_id, status, n) VALUES (NEW.endpoint_id, NEW.status, 1)
        ON CONFLICT (endpoint_id, status) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER webhook_deliveries_count_update;
DROP TRIGGER webhook_deliveries_count_delete;
DROP TRIGGER webhook_deliveries_count_insert;
DROP TABLE webhook_delivery_counts;
