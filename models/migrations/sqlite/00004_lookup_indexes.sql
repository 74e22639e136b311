-- Indexes for two lookups that read a whole table without them: a payout's history on
-- its page (audit events by target, oldest first) and the daily reminder run's "no
-- referral yet" test (referrals by invitation). The PostgreSQL twin of this file must
-- stay equivalent.

-- +goose Up
CREATE INDEX audit_events_target_idx ON audit_events (target, created_at);
CREATE INDEX referrals_invitation_idx ON referrals (invitation_id);

-- +goose Down
DROP INDEX referrals_invitation_idx;
DROP INDEX audit_events_target_idx;
