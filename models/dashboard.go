package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// The freelancer's dashboard: for each program, whether they may refer (R1), their
// numbers and their friends' progress; and, for a referred friend, their own progress.
// It is read in a fixed number of queries whatever the number of friends (one per list,
// counts by SQL aggregates), each scoped by the freelancer's id (R15).

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
	// CreditsEarnedCents are approved and paid credits; CreditsPaidCents the paid part.
	CreditsEarnedCents   int64
	CreditsPaidCents     int64
	CreditsInReviewCents int64
}

// FriendRow is one referred friend as their referrer sees them.
type FriendRow struct {
	ReferralID   int64
	FriendName   string
	RegisteredAt time.Time
	CountedCents int64
	Stage        FriendStage
	RejectReason string
	// BatchMonth (YYYY-MM) is the batch an approved or paid credit belongs to (R11).
	BatchMonth string
	PaidAt     *time.Time
	// PayBy is the due date of the credit's batch (R11), for "Approved - paid by DATE".
	PayBy *time.Time
}

// ProgramDashboard is one program on a freelancer's dashboard.
type ProgramDashboard struct {
	Eligibility
	// Open: friends can still sign up and earn (the program is active, its deadline ahead).
	Open bool
	// Stats and Friends are set when the freelancer holds the program's invitation.
	Stats   ReferrerStats
	Friends Page[FriendRow]
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

// Dashboard reads the dashboard of freelancer userID: the open programs and every
// program they were invited to (closed ones too, so they keep seeing their friends and
// credits), open programs first by deadline, then the rest, latest deadline first.
func (s *Store) Dashboard(ctx context.Context, userID int64, q DashboardQuery) (Dashboard, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{User: u}
	db := s.db.WithContext(ctx)
	now := s.Now()

	var programs []Program
	err = db.Where("status = ? OR (status <> ? AND id IN (SELECT program_id FROM invitations WHERE referrer_id = ?))",
		ProgramActive, ProgramDraft, userID).Find(&programs).Error
	if err != nil {
		return Dashboard{}, fmt.Errorf("programs of user %d: %w", userID, err)
	}
	slices.SortFunc(programs, func(a, b Program) int {
		if a.Open(now) != b.Open(now) {
			if a.Open(now) {
				return -1
			}
			return 1
		}
		if a.Open(now) {
			return cmp.Or(a.Deadline.Compare(b.Deadline), cmp.Compare(a.ID, b.ID))
		}
		return cmp.Or(b.Deadline.Compare(a.Deadline), cmp.Compare(a.ID, b.ID))
	})

	var invs []Invitation
	if err := db.Where("referrer_id = ?", userID).Find(&invs).Error; err != nil {
		return Dashboard{}, fmt.Errorf("invitations of user %d: %w", userID, err)
	}
	stats, err := s.referrerStats(ctx, userID)
	if err != nil {
		return Dashboard{}, err
	}

	for _, p := range programs {
		var inv *Invitation
		for i := range invs {
			if invs[i].ProgramID == p.ID {
				inv = &invs[i]
			}
		}
		if inv == nil && !p.Open(now) {
			continue // a closed program is news only to those who took part
		}
		pd := ProgramDashboard{Eligibility: CheckEligibility(u, p, inv), Open: p.Open(now)}
		if inv != nil {
			st := stats[p.ID]
			pd.Stats = ReferrerStats{
				Clicks:               inv.Clicks,
				SignUps:              st.SignUps,
				Qualified:            st.Qualified,
				CreditsEarnedCents:   st.EarnedCents,
				CreditsPaidCents:     st.PaidCents,
				CreditsInReviewCents: st.InReviewCents,
			}
			if now.After(p.Deadline) {
				pd.Stats.Expired = st.SignUps - st.Qualified
			} else {
				pd.Stats.InProgress = st.SignUps - st.Qualified
			}
			paging := Paging{}
			if q.Program == p.Slug {
				paging = q.Paging
			}
			rows, err := s.friendRows(ctx, userID, p, paging, now)
			if err != nil {
				return Dashboard{}, err
			}
			pd.Friends = newPage(rows, st.SignUps, paging)
		}
		d.Programs = append(d.Programs, pd)
	}

	if d.Friend, err = s.friendProgress(ctx, u, now); err != nil {
		return Dashboard{}, err
	}
	return d, nil
}

// programTotals are one program's referral counts and credit sums, from SQL aggregates.
type programTotals struct {
	ProgramID     int64
	SignUps       int64
	Qualified     int64
	EarnedCents   int64
	PaidCents     int64
	InReviewCents int64
}

// referrerStats sums a referrer's referrals and credits per program in one query.
func (s *Store) referrerStats(ctx context.Context, referrerID int64) (map[int64]programTotals, error) {
	var rows []programTotals
	err := s.db.WithContext(ctx).Table("referrals r").
		Select(`r.program_id,
			COUNT(*) AS sign_ups,
			CAST(COALESCE(SUM(CASE WHEN r.status = ? THEN 1 ELSE 0 END), 0) AS BIGINT) AS qualified,
			CAST(COALESCE(SUM(CASE WHEN p.status IN (?, ?) THEN p.amount_cents ELSE 0 END), 0) AS BIGINT) AS earned_cents,
			CAST(COALESCE(SUM(CASE WHEN p.status = ? THEN p.amount_cents ELSE 0 END), 0) AS BIGINT) AS paid_cents,
			CAST(COALESCE(SUM(CASE WHEN p.status = ? THEN p.amount_cents ELSE 0 END), 0) AS BIGINT) AS in_review_cents`,
			ReferralQualified, PayoutApproved, PayoutPaid, PayoutPaid, PayoutPendingReview).
		Joins("LEFT JOIN payouts p ON p.referral_id = r.id").
		Where("r.referrer_id = ?", referrerID).
		Group("r.program_id").
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("referral totals of user %d: %w", referrerID, err)
	}
	out := make(map[int64]programTotals, len(rows))
	for _, r := range rows {
		out[r.ProgramID] = r
	}
	return out, nil
}

// friendRow is a referral joined with its friend's name and its payout, as scanned.
type friendRow struct {
	ID           int64
	FriendName   string
	RegisteredAt time.Time
	CountedCents int64
	Status       ReferralStatus
	PayoutStatus *PayoutStatus
	RejectReason *string
	BatchMonth   *string
	PaidAt       *time.Time
	PayoutID     *int64
}

// friendRows lists one page of a referrer's friends in program p, newest sign-up first
// (a friend who just joined is at the top; the referrals (referrer_id, program_id,
// registered_at) index serves the order).
func (s *Store) friendRows(ctx context.Context, referrerID int64, p Program, paging Paging, now time.Time) ([]FriendRow, error) {
	var scanned []friendRow
	err := s.db.WithContext(ctx).Table("referrals r").
		Select("r.id, u.name AS friend_name, r.registered_at, r.counted_cents, r.status, "+
			"p.id AS payout_id, p.status AS payout_status, p.reject_reason, p.batch_month, p.paid_at").
		Joins("JOIN users u ON u.id = r.friend_id").
		Joins("LEFT JOIN payouts p ON p.referral_id = r.id").
		Where("r.referrer_id = ? AND r.program_id = ?", referrerID, p.ID).
		Order("r.registered_at DESC, r.id DESC").
		Limit(paging.Limit()).Offset(paging.Offset()).
		Scan(&scanned).Error
	if err != nil {
		return nil, fmt.Errorf("friends of user %d in program %s: %w", referrerID, p.Slug, err)
	}
	rows := make([]FriendRow, len(scanned))
	for i, f := range scanned {
		ref := Referral{Status: f.Status, CountedCents: f.CountedCents}
		var payout *Payout
		if f.PayoutID != nil {
			payout = &Payout{Status: *f.PayoutStatus}
		}
		rows[i] = FriendRow{
			ReferralID:   f.ID,
			FriendName:   f.FriendName,
			RegisteredAt: f.RegisteredAt,
			CountedCents: f.CountedCents,
			Stage:        ReferralStatusFor(ref, payout, p, now),
			RejectReason: deref(f.RejectReason),
			BatchMonth:   deref(f.BatchMonth),
			PaidAt:       f.PaidAt,
		}
		if rows[i].Stage == StageApproved && rows[i].BatchMonth != "" {
			if due, err := p.DueDate(rows[i].BatchMonth); err == nil {
				rows[i].PayBy = &due
			}
		}
	}
	return rows, nil
}

// friendProgress is u's own referral, if they were referred, with their program.
func (s *Store) friendProgress(ctx context.Context, u User, now time.Time) (*FriendProgress, error) {
	var rows []struct {
		Referral
		ReferrerName string
	}
	err := s.db.WithContext(ctx).Table("referrals r").
		Select("r.*, u.name AS referrer_name").
		Joins("JOIN users u ON u.id = r.referrer_id").
		Where("r.friend_id = ?", u.ID).Limit(1).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("referral of friend %d: %w", u.ID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	r := rows[0]
	var p Program
	if err := s.db.WithContext(ctx).Take(&p, r.ProgramID).Error; err != nil {
		return nil, fmt.Errorf("program of referral %d: %w", r.ID, err)
	}
	stage := ReferralStatusFor(r.Referral, nil, p, now)
	return &FriendProgress{
		Program:           p,
		ReferrerFirstName: FirstName(r.ReferrerName),
		RegisteredAt:      r.RegisteredAt,
		CountedCents:      r.CountedCents,
		Reached:           stage == StageQualified,
		Expired:           stage == StageExpired,
		PlusUntil:         u.PlusUntil,
	}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
