package models

import (
	"time"
)

// The freelancer's dashboard: for each program, whether they may refer (R1), their
// numbers and their friends' progress; and, for a referred friend, their own progress.
// It is read in one statement whatever the number of friends (dashboard_read.go), scoped
// by the freelancer's id (R15).

// FriendStage is what a referrer is told about one referred friend. It combines the
// stored referral status with the program's deadline (R9) and the payout's review (R10,
// R11), in that order of precedence: a decision on the credit says more than progress.
type FriendStage string

const (
	StageRegistered FriendStage = "registered" // signed up, nothing counted yet
	StageEarning    FriendStage = "earning"    // counted earnings, below the threshold
	StageQualified  FriendStage = "qualified"  // reached the threshold; the credit awaits review
	StageApproved   FriendStage = "approved"   // credit approved, to be paid with its month's batch
	StagePaid       FriendStage = "paid"       // credit paid into the referrer's account
	StageRejected   FriendStage = "rejected"   // credit rejected, with a reason
	StageExpired    FriendStage = "expired"    // the deadline passed before the friend qualified (R9)
)

// ReferralStatusFor says where a referral stands at now. payout is the referral's payout,
// or nil when it has none.
func ReferralStatusFor(r Referral, payout *Payout, p Program, now time.Time) FriendStage {
	if payout != nil {
		switch payout.Status {
		case PayoutApproved:
			return StageApproved
		case PayoutPaid:
			return StagePaid
		case PayoutRejected:
			return StageRejected
		}
		return StageQualified
	}
	switch {
	case r.Status == ReferralQualified:
		return StageQualified
	case r.Expired(p.Deadline, now):
		return StageExpired
	case r.Status == ReferralEarning || r.CountedCents != 0:
		return StageEarning
	}
	return StageRegistered
}

// ReferrerStats are a referrer's numbers in one program.
type ReferrerStats struct {
	Clicks  int64
	SignUps int64
	// InProgress are friends who may still qualify: not qualified, deadline not passed.
	InProgress int64
	Qualified  int64
	Expired    int64
	Credits    CreditPipeline
}

// CreditPipeline is where a referrer's credits are: in review, approved (to be paid by
// ApprovedPayBy, the due date of the latest batch they joined), and paid. Credits earned
// are their sum; rejected credits are in none of them.
type CreditPipeline struct {
	InReviewCents int64
	ApprovedCents int64
	PaidCents     int64
	ApprovedPayBy *time.Time
	// latestMonth is the batch month ApprovedPayBy was worked out for: a business
	// calendar is costly, so it is worked out again only for a later month.
	latestMonth string
}

// EarnedCents is the headline: every credit not rejected.
func (c CreditPipeline) EarnedCents() int64 { return c.InReviewCents + c.ApprovedCents + c.PaidCents }

// add counts one credit in the pipeline; dueDate gives the due date of a batch month.
func (c *CreditPipeline) add(status PayoutStatus, cents int64, batchMonth string, dueDate func(month string) (time.Time, error)) {
	switch status {
	case PayoutPendingReview:
		c.InReviewCents += cents
	case PayoutApproved:
		c.ApprovedCents += cents
		if batchMonth < c.latestMonth {
			return
		}
		if due, err := dueDate(batchMonth); err == nil && (c.ApprovedPayBy == nil || due.After(*c.ApprovedPayBy)) {
			c.ApprovedPayBy, c.latestMonth = &due, batchMonth
		}
	case PayoutPaid:
		c.PaidCents += cents
	}
}

// FriendRow is one referred friend as their referrer sees them, with the moments of
// their timeline (joined, first earning, qualified, decided, paid) that have happened.
type FriendRow struct {
	ReferralID   int64
	FriendName   string
	RegisteredAt time.Time
	CountedCents int64
	Stage        FriendStage
	RejectReason string
	// BatchMonth (YYYY-MM) is the batch an approved or paid credit belongs to (R11).
	BatchMonth string
	// PayBy is the due date of the credit's batch (R11), for "approved, paid by DATE".
	PayBy          *time.Time
	FirstEarningAt *time.Time
	QualifiedAt    *time.Time
	DecidedAt      *time.Time
	PaidAt         *time.Time
}

// ProgramDashboard is one program on a freelancer's dashboard.
type ProgramDashboard struct {
	Eligibility
	// Open: friends can still sign up and earn (the program is active, its deadline ahead).
	Open bool
	// Stats, Activity and Friends are set when the freelancer holds the program's
	// invitation.
	Stats    ReferrerStats
	Activity Activity
	Friends  Page[FriendRow]
}

// ShowsLink reports whether the freelancer should be handed their invite link: they may
// refer and friends can still sign up.
func (d ProgramDashboard) ShowsLink() bool { return d.CanRefer() && d.Open }

// FriendProgress is a referred friend's own view of their referral.
type FriendProgress struct {
	Program           Program
	ReferrerFirstName string
	RegisteredAt      time.Time
	CountedCents      int64
	// Reached: the friend earned the threshold in time. Expired: the deadline passed first.
	Reached bool
	Expired bool
	// PlusUntil is when the friend's Freelancer Plus membership ends.
	PlusUntil *time.Time
}

// Dashboard is everything the freelancer's home page shows.
type Dashboard struct {
	User     User
	Programs []ProgramDashboard
	// Friend is set when the freelancer signed up through someone's invite.
	Friend *FriendProgress
}

// DashboardQuery picks which program's friend list is paged (by slug) and the page.
// The other programs show their first page.
type DashboardQuery struct {
	Program string
	Paging  Paging
}
