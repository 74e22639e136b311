package models

import (
	"context"
	"fmt"
)

// Totals are the program staff's numbers across all programs, from invitation to
// payment, each computed by the database with one aggregate query per table.
type Totals struct {
	// Invited is how many referrers hold an invitation; Clicks how often their links were
	// opened.
	Invited int64
	Clicks  int64
	// SignedUp is every referred friend; Earning those with counted earnings (qualified
	// included); Qualified those past the threshold.
	SignedUp  int64
	Earning   int64
	Qualified int64
	// Payouts by status. Approved counts every payout ever approved, paid ones included.
	PendingReview int64
	Approved      int64
	Paid          int64
	Rejected      int64
	// Money: in review (pending), owed (approved, unpaid), paid, and the ledger's credits,
	// which equal PaidCents.
	PendingCents int64
	OwedCents    int64
	PaidCents    int64
	LedgerCents  int64
}

// Overview adds up the program's funnel and money.
func (s *Store) Overview(ctx context.Context) (Totals, error) {
	db := s.db.WithContext(ctx)
	var t Totals
	// Each Scan zeroes its destination, so each query fills its own.
	var invitations struct{ Invited, Clicks int64 }
	err := db.Raw(`SELECT COUNT(*) AS invited, COALESCE(SUM(clicks), 0) AS clicks FROM invitations`).Scan(&invitations).Error
	if err != nil {
		return t, fmt.Errorf("add up invitations: %w", err)
	}
	t.Invited, t.Clicks = invitations.Invited, invitations.Clicks
	var referrals struct{ SignedUp, Earning, Qualified int64 }
	err = db.Raw(`SELECT COUNT(*) AS signed_up,
		COALESCE(SUM(CASE WHEN status IN ('earning', 'qualified') THEN 1 ELSE 0 END), 0) AS earning,
		COALESCE(SUM(CASE WHEN status = 'qualified' THEN 1 ELSE 0 END), 0) AS qualified
		FROM referrals`).Scan(&referrals).Error
	if err != nil {
		return t, fmt.Errorf("add up referrals: %w", err)
	}
	t.SignedUp, t.Earning, t.Qualified = referrals.SignedUp, referrals.Earning, referrals.Qualified
	var payouts []struct {
		Status PayoutStatus
		N      int64
		Cents  int64
	}
	err = db.Raw(`SELECT status, COUNT(*) AS n, COALESCE(SUM(amount_cents), 0) AS cents FROM payouts GROUP BY status`).Scan(&payouts).Error
	if err != nil {
		return t, fmt.Errorf("add up payouts: %w", err)
	}
	for _, p := range payouts {
		switch p.Status {
		case PayoutPendingReview:
			t.PendingReview, t.PendingCents = p.N, p.Cents
		case PayoutApproved:
			t.Approved += p.N
			t.OwedCents = p.Cents
		case PayoutPaid:
			t.Approved += p.N
			t.Paid, t.PaidCents = p.N, p.Cents
		case PayoutRejected:
			t.Rejected = p.N
		}
	}
	err = db.Raw(`SELECT COALESCE(SUM(amount_cents), 0) FROM ledger_entries WHERE kind = ?`, LedgerReferralCredit).Scan(&t.LedgerCents).Error
	if err != nil {
		return t, fmt.Errorf("add up the ledger: %w", err)
	}
	return t, nil
}
