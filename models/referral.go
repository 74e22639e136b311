package models

import "time"

// ReferralStatus is how far a friend has come: signed up, earning, or past the threshold.
// Whether a referral is expired (R9) or paid is not stored here: it follows from the
// program's deadline and from the payout.
type ReferralStatus string

const (
	ReferralRegistered ReferralStatus = "registered"
	ReferralEarning    ReferralStatus = "earning"
	ReferralQualified  ReferralStatus = "qualified"
)

// Referral ties a friend to the referrer whose link they signed up through. A friend is
// referred at most once, ever.
type Referral struct {
	ID           int64
	ProgramID    int64
	InvitationID int64
	ReferrerID   int64
	FriendID     int64
	RegisteredAt time.Time
	// CountedCents is the sum of the friend's earnings that count (R6), refunds included.
	CountedCents int64
	Status       ReferralStatus
	QualifiedAt  *time.Time
}
