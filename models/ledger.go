package models

import "time"

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
