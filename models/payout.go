package models

import "time"

// PayoutStatus is where a referrer's credit is: waiting for review, approved into a
// monthly batch, rejected, or paid.
type PayoutStatus string

const (
	PayoutPendingReview PayoutStatus = "pending_review"
	PayoutApproved      PayoutStatus = "approved"
	PayoutRejected      PayoutStatus = "rejected"
	PayoutPaid          PayoutStatus = "paid"
)

// Fraud flags shown to reviewers (R12).
const (
	FlagReferrerIsClient = "referrer_is_client"
	FlagSameIP           = "same_ip"
	FlagSingleClient     = "single_client"
	FlagFast             = "fast"
	FlagBelowThreshold   = "below_threshold"
)

// Payout is the reward for one qualified referral; at most one per referral.
type Payout struct {
	ID           int64
	ReferralID   int64
	ProgramID    int64
	ReferrerID   int64
	AmountCents  int64
	Status       PayoutStatus
	Flags        []string `gorm:"serializer:json"`
	DecidedBy    *int64
	DecidedAt    *time.Time
	RejectReason string
	// BatchMonth (YYYY-MM) is the month, in the program's time zone, the payout was
	// approved in: the batch that pays it (R11).
	BatchMonth *string
	PaidAt     *time.Time
	CreatedAt  time.Time
}
