package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ReferralRow is a referral as program staff see it: who referred whom, in which program,
// how far the friend has come, and the payout if there is one.
type ReferralRow struct {
	Referral       `gorm:"embedded"`
	ReferrerName   string
	ReferrerEmail  string
	FriendName     string
	FriendEmail    string
	ProgramName    string
	Zone           // of the referral's program
	ThresholdCents int64
	Deadline       time.Time
	PayoutID       *int64
	PayoutStatus   *PayoutStatus
}

// ReferralExpired is the status a referral shows once its program's deadline passed
// without it qualifying (R9); it is not stored.
const ReferralExpired ReferralStatus = "expired"

// ShownStatus is the referral's status as of now: expired after the deadline unless it
// qualified (R9).
func (r ReferralRow) ShownStatus(now time.Time) ReferralStatus {
	if r.Expired(r.Deadline, now) {
		return ReferralExpired
	}
	return r.Status
}

// ReferralFilter chooses the referrals of the admin list.
type ReferralFilter struct {
	// Status is registered, earning, qualified or expired (as shown now); "" keeps all.
	Status ReferralStatus
	// Search matches the referrer's or the friend's name or email.
	Search string
	Paging Paging
}

// AdminReferrals lists every referral, the most recent sign-up first.
func (s *Store) AdminReferrals(ctx context.Context, f ReferralFilter) (Page[ReferralRow], error) {
	now := s.Now()
	// referrals joined with their program, filtered by the status shown now.
	filtered := func() *gorm.DB {
		q := s.db.WithContext(ctx).Table("referrals").Joins("JOIN programs pr ON pr.id = referrals.program_id")
		switch f.Status {
		case "":
		case ReferralExpired: // Referral.Expired, in SQL
			q = q.Where("referrals.status <> ? AND pr.deadline < ?", ReferralQualified, now)
		case ReferralQualified:
			q = q.Where("referrals.status = ?", ReferralQualified)
		default:
			q = q.Where("referrals.status = ? AND pr.deadline >= ?", f.Status, now)
		}
		return q
	}
	q := filtered().
		Joins("JOIN users ru ON ru.id = referrals.referrer_id").
		Joins("JOIN users fu ON fu.id = referrals.friend_id")
	q = searchReferrerOrFriend(q, f.Search)
	count := q
	if strings.TrimSpace(f.Search) == "" {
		// Every referral has its referrer and friend (NOT NULL foreign keys): without a
		// search, counting needs no people.
		count = filtered()
	}
	var total int64
	if err := count.Count(&total).Error; err != nil {
		return Page[ReferralRow]{}, fmt.Errorf("count referrals: %w", err)
	}
	var rows []ReferralRow
	err := q.Select(`referrals.*, ru.name AS referrer_name, ru.email AS referrer_email,
			fu.name AS friend_name, fu.email AS friend_email, pr.name AS program_name, pr.time_zone AS time_zone,
			pr.threshold_cents AS threshold_cents, pr.deadline AS deadline, po.id AS payout_id, po.status AS payout_status`).
		Joins("LEFT JOIN payouts po ON po.referral_id = referrals.id").
		Order("referrals.registered_at DESC, referrals.id DESC").
		Offset(f.Paging.Offset()).Limit(f.Paging.Limit()).Find(&rows).Error
	if err != nil {
		return Page[ReferralRow]{}, fmt.Errorf("list referrals: %w", err)
	}
	return newPage(rows, total, f.Paging), nil
}
