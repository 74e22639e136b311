package models

import (
	"context"
	"fmt"
	"time"
)

// LedgerKind says what a ledger entry is for.
type LedgerKind string

const LedgerReferralCredit LedgerKind = "referral_credit"

// LedgerEntry is one movement on a freelancer's account; the balance is their sum. The
// table refuses updates and deletes, and its unique reference makes a second credit for
// the same payout impossible.
type LedgerEntry struct {
	ID          int64
	UserID      int64
	PayoutID    *int64
	AmountCents int64
	FeeCents    int64
	Kind        LedgerKind
	Description string
	Reference   string
	CreatedAt   time.Time
}

// LedgerRow is one ledger entry as its owner sees it, with the balance after it.
type LedgerRow struct {
	ID           int64
	CreatedAt    time.Time
	Kind         LedgerKind
	Description  string
	AmountCents  int64
	FeeCents     int64
	BalanceCents int64
	// Zone is that of the program that paid the entry (the default program time zone
	// for entries not tied to one).
	Zone
}

// LedgerSummary is a freelancer's account at a glance.
type LedgerSummary struct {
	Entries      int64
	BalanceCents int64
	// WithdrawableCents is what can be withdrawn now. Referral credits carry no hold
	// (docs/rules.md: credited and withdrawable), so it equals the balance; it is its own field
	// so that a hold, if one is ever introduced, changes one place.
	WithdrawableCents int64
	// Credits are the freelancer's referral credits in every program, from review to paid:
	// what is approved is on its way, by Credits.ApprovedPayBy.
	Credits CreditPipeline
}

// Ledger reads one page of freelancer userID's ledger, newest first, each entry with the
// running balance after it (amounts less fees, in entry order), and the account summary.
// The running balance is a window over the whole account computed before the page is
// cut, so every page shows true balances.
func (s *Store) Ledger(ctx context.Context, userID int64, paging Paging) (Page[LedgerRow], LedgerSummary, error) {
	db := s.db.WithContext(ctx)
	var totals struct{ Entries, BalanceCents int64 }
	err := db.Model(&LedgerEntry{}).
		Select("COUNT(*) AS entries, CAST(COALESCE(SUM(amount_cents - fee_cents), 0) AS BIGINT) AS balance_cents").
		Where("user_id = ?", userID).Find(&totals).Error
	if err != nil {
		return Page[LedgerRow]{}, LedgerSummary{}, fmt.Errorf("balance of user %d: %w", userID, err)
	}
	sum := LedgerSummary{Entries: totals.Entries, BalanceCents: totals.BalanceCents, WithdrawableCents: totals.BalanceCents}
	if sum.Credits, err = s.creditPipeline(ctx, userID); err != nil {
		return Page[LedgerRow]{}, LedgerSummary{}, err
	}

	var rows []LedgerRow
	err = db.Table("ledger_entries le").
		Select("le.id, le.created_at, le.kind, le.description, le.amount_cents, le.fee_cents, "+
			"CAST(SUM(le.amount_cents - le.fee_cents) OVER (ORDER BY le.created_at, le.id) AS BIGINT) AS balance_cents, "+
			"COALESCE(pr.time_zone, '') AS time_zone").
		Joins("LEFT JOIN payouts p ON p.id = le.payout_id").
		Joins("LEFT JOIN programs pr ON pr.id = p.program_id").
		Where("le.user_id = ?", userID).
		Order("le.created_at DESC, le.id DESC").
		Limit(paging.Limit()).Offset(paging.Offset()).
		Find(&rows).Error
	if err != nil {
		return Page[LedgerRow]{}, LedgerSummary{}, fmt.Errorf("ledger of user %d: %w", userID, err)
	}
	return newPage(rows, sum.Entries, paging), sum, nil
}

// creditPipeline sums a referrer's credits by program, status and batch month (the
// payouts (referrer_id) index finds them), each approved month with its due date.
func (s *Store) creditPipeline(ctx context.Context, referrerID int64) (CreditPipeline, error) {
	var rows []struct {
		PayoutBusinessDays int
		Status             PayoutStatus
		BatchMonth         *string
		Cents              int64
	}
	err := rawScan(s.db.WithContext(ctx), &rows, `SELECT pr.payout_business_days, p.status, p.batch_month,
			CAST(SUM(p.amount_cents) AS BIGINT) AS cents
		FROM payouts p JOIN programs pr ON pr.id = p.program_id
		WHERE p.referrer_id = ?
		GROUP BY p.program_id, pr.payout_business_days, p.status, p.batch_month`, referrerID)
	if err != nil {
		return CreditPipeline{}, fmt.Errorf("credits of user %d: %w", referrerID, err)
	}
	var c CreditPipeline
	for _, r := range rows {
		p := Program{PayoutBusinessDays: r.PayoutBusinessDays}
		c.add(r.Status, r.Cents, deref(r.BatchMonth), func(m string) (time.Time, error) { return s.dues.due(p, m) })
	}
	return c, nil
}
