-- The addresses each user was seen at while signed in, one row per user, address and
-- day (UTC, YYYY-MM-DD): the same_ip flag (R12) compares a friend's sign-up address with
-- every address the referrer used, not only where they signed in or up (user_ips). The
-- SQLite twin of this file must stay equivalent.

-- +goose Up
CREATE TABLE user_ip_days (
    user_id BIGINT NOT NULL REFERENCES users (id),
    ip      TEXT NOT NULL,
    day     TEXT NOT NULL,
    PRIMARY KEY (user_id, ip, day)
);

-- +goose Down
DROP TABLE user_ip_days;
