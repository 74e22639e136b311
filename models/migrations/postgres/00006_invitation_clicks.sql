-- Clicks on invite links per invitation and day, so the dashboard's activity chart reads a
-- few rows per invitation from this primary key (one counter upserted per click) instead
-- of scanning one row per click. day is the calendar day (YYYY-MM-DD) in the program's
-- time zone when the click came. invitations.clicks stays the running total.
-- Clicks counted before this table existed have no day: they are put on the day the
-- invitation was sent (UTC), so the days add up to the total. The SQLite twin of this
-- file must stay equivalent.

-- +goose Up
CREATE TABLE invitation_clicks (
    invitation_id BIGINT NOT NULL REFERENCES invitations (id),
    day           TEXT NOT NULL CHECK (length(day) = 10),
    clicks        BIGINT NOT NULL CHECK (clicks > 0),
    PRIMARY KEY (invitation_id, day)
);
INSERT INTO invitation_clicks (invitation_id, day, clicks)
SELECT id, to_char(invited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), clicks FROM invitations WHERE clicks > 0;

-- +goose Down
DROP TABLE invitation_clicks;
