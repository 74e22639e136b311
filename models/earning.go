package models

import "time"

// EarningStatus says whether an earning counted toward a referral.
type EarningStatus string

const (
	EarningCounted EarningStatus = "counted"
	EarningIgnored EarningStatus = "ignored"
)

// Earning is one event received from the marketplace, kept whether it counted or not so
// that a redelivery of the same external id is recognised (R7).
type Earning struct {
	ID              int64
	ExternalID      string
	FreelancerEmail string
	FreelancerID    *int64
	ReferralID      *int64
	// AmountCents is negative for a refund or reversal.
	AmountCents int64
	Currency    string
	Category    string
	ClientID    string
	OccurredAt  time.Time
	ReceivedAt  time.Time
	Status      EarningStatus
	Reason      string
	PayloadHash string
}
