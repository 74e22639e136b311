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
	ProgramSlug    string
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

// ReferralFilter chooses the referrals of the admin list and of its CSV export.
type ReferralFilter struct {
	// Status is registered, earning, qualified or expired (as shown now); "" keeps all.
	Status ReferralStatus
	// ProgramID keeps one program's referrals; 0 keeps all.
	ProgramID int64
	// ReferrerID keeps one referrer's friends; 0 keeps all.
	ReferrerID int64
	// Search matches the referrer's or the friend's name or email; a whole email address
	// finds that person's referrals through the index.
	Search string
	Paging Paging
}

// ValidReferralFilter reports whether s is a status the referrals list filters by.
func ValidReferralFilter(s ReferralStatus) bool {
	switch s {
	case ReferralRegistered, ReferralEarning, ReferralQualified, ReferralExpired:
		return true
	}
	return false
}

// whereStatus keeps the referrals whose status shown now is status. The deadline is
// read from the programs in a subquery, so the referrals need no join to be chosen.
func whereStatus(q *gorm.DB, status ReferralStatus, now time.Time) *gorm.DB {
	switch status {
	case "":
		return q
	case ReferralExpired: // Referral.Expired, in SQL
		return q.Where("referrals.status <> ? AND referrals.program_id IN (SELECT id FROM programs WHERE deadline < ?)", ReferralQualified, now)
	case ReferralQualified:
		return q.Where("referrals.status = ?", ReferralQualified)
	}
	return q.Where("referrals.status = ? AND referrals.program_id IN (SELECT id FROM programs WHERE deadline >= ?)", status, now)
}

// joinReferralRows joins a query of referrals (named referrals) with what a ReferralRow
// shows.
func joinReferralRows(q *gorm.DB) *gorm.DB {
	return q.Joins("JOIN programs pr ON pr.id = referrals.program_id").
		Joins("JOIN users ru ON ru.id = referrals.referrer_id").
		Joins("JOIN users fu ON fu.id = referrals.friend_id")
}

// narrowed is the referrals f chooses, unordered: only the referrals table, unless a
// substring search needs the people (then joined as joinReferralRows joins them).
func (f ReferralFilter) narrowed(db *gorm.DB, now time.Time) *gorm.DB {
	q := whereStatus(db.Table("referrals"), f.Status, now)
	if f.ProgramID != 0 {
		q = q.Where("referrals.program_id = ?", f.ProgramID)
	}
	if f.ReferrerID != 0 {
		q = q.Where("referrals.referrer_id = ?", f.ReferrerID)
	}
	if email, ok := wholeEmail(f.Search); ok {
		q = q.Where(`referrals.id IN (SELECT r.id FROM referrals r JOIN users u ON u.id = r.referrer_id WHERE u.email = ?
			UNION ALL SELECT r.id FROM referrals r JOIN users u ON u.id = r.friend_id WHERE u.email = ?)`, email, email)
	} else if substringSearch(f.Search) {
		q = searchReferrerOrFriend(joinReferralRows(q), f.Search)
	}
	return q
}

// filtered is the referrals f chooses, with their program and people, unordered.
func (f ReferralFilter) filtered(db *gorm.DB, now time.Time) *gorm.DB {
	q := f.narrowed(db, now)
	if substringSearch(f.Search) {
		return q
	}
	return joinReferralRows(q)
}

// referralRowColumns are the columns of a ReferralRow.
const referralRowColumns = `referrals.*, ru.name AS referrer_name, ru.email AS referrer_email,
	fu.name AS friend_name, fu.email AS friend_email, pr.name AS program_name, pr.slug AS program_slug, pr.time_zone AS time_zone,
	pr.threshold_cents AS threshold_cents, pr.deadline AS deadline,
	(SELECT po.id FROM payouts po WHERE po.referral_id = referrals.id) AS payout_id,
	(SELECT po.status FROM payouts po WHERE po.referral_id = referrals.id) AS payout_status`

// AdminReferrals lists one page of the referrals f chooses, the most recent sign-up
// first. Without a search the total comes from the counter rows (ReferralCounts); with
// one it is counted up to CountCap.
func (s *Store) AdminReferrals(ctx context.Context, f ReferralFilter) (Page[ReferralRow], error) {
	now := s.Now()
	db := s.db.WithContext(ctx)
	q := f.narrowed(db, now)
	// The page's referrals first, in order from the referrals' own indexes, then their
	// people and program for those rows alone.
	pageOf := q.Session(&gorm.Session{}).Select("referrals.*").Order("referrals.registered_at DESC, referrals.id DESC").
		Offset(f.Paging.Offset()).Limit(f.Paging.Limit() + 1)
	var rows []ReferralRow
	err := joinReferralRows(db.Table("(?) AS referrals", pageOf)).Select(referralRowColumns).
		Order("referrals.registered_at DESC, referrals.id DESC").Find(&rows).Error
	if err != nil {
		return Page[ReferralRow]{}, fmt.Errorf("list referrals: %w", err)
	}
	more := len(rows) > f.Paging.Limit()
	if more {
		rows = rows[:f.Paging.Limit()]
	}
	locate(s.zones, rows, func(r *ReferralRow) *Zone { return &r.Zone })
	page := newPage(rows, 0, f.Paging)
	page.More = more
	if strings.TrimSpace(f.Search) == "" && f.ReferrerID == 0 {
		counts, err := s.ReferralCounts(ctx, f.ProgramID)
		if err != nil {
			return Page[ReferralRow]{}, err
		}
		page.Total = counts[f.Status]
		return page, nil
	}
	if page.Total, page.Capped, err = cappedCount(q); err != nil {
		return Page[ReferralRow]{}, fmt.Errorf("count referrals: %w", err)
	}
	return page, nil
}

// EachReferral calls fn with every referral f chooses, the most recent sign-up first,
// reading the rows one at a time (flat memory whatever their number). f.Paging is
// ignored.
func (s *Store) EachReferral(ctx context.Context, f ReferralFilter, fn func(ReferralRow) error) error {
	q := f.filtered(s.db.WithContext(ctx), s.Now()).Select(referralRowColumns).Order("referrals.registered_at DESC, referrals.id DESC")
	return eachRow(q, func(r *ReferralRow) error {
		r.Zone.location = s.zones.get(r.Zone.name())
		return fn(*r)
	})
}

// ReferralCounts is how many referrals each status shown now holds (registered, earning,
// qualified, expired; "" is all of them), in one program or (programID 0) in all. It
// reads the counter rows the database keeps (referral_counts) and each program's
// deadline: a few rows whatever the number of referrals.
func (s *Store) ReferralCounts(ctx context.Context, programID int64) (map[ReferralStatus]int64, error) {
	var rows []struct {
		Status   ReferralStatus
		N        int64
		Deadline time.Time
	}
	q := s.db.WithContext(ctx).Table("referral_counts c").Select("c.status, c.n, pr.deadline").
		Joins("JOIN programs pr ON pr.id = c.program_id")
	if programID != 0 {
		q = q.Where("c.program_id = ?", programID)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("count referrals: %w", err)
	}
	now := s.Now()
	counts := map[ReferralStatus]int64{}
	for _, r := range rows {
		counts[""] += r.N
		shown := r.Status
		if (Referral{Status: r.Status}).Expired(r.Deadline, now) {
			shown = ReferralExpired
		}
		counts[shown] += r.N
	}
	return counts, nil
}
