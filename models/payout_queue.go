package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The review queue (R10, R12) at volume: filters by status, flag, program and text,
// three orders, and counts that read counter rows rather than the payouts themselves.

// PayoutSort is an order of the review queue.
type PayoutSort string

const (
	// SortOldest lists the payouts created first first: the queue is worked in order.
	SortOldest PayoutSort = "oldest"
	SortNewest PayoutSort = "newest"
	// SortRisk lists payouts by their most severe flag (FlagsBySeverity), then oldest
	// first; payouts without flags come last.
	SortRisk PayoutSort = "risk"
)

// PayoutSorts lists the queue's orders, the default first.
func PayoutSorts() []PayoutSort { return []PayoutSort{SortOldest, SortNewest, SortRisk} }

// ValidPayoutSort reports whether s names an order of the queue.
func ValidPayoutSort(s PayoutSort) bool { return slices.Contains(PayoutSorts(), s) }

// PayoutFilter chooses the payouts of the review queue and of its CSV export.
type PayoutFilter struct {
	// Status limits the list to one status; "" lists all.
	Status PayoutStatus
	// Flag keeps the payouts carrying this flag (one of FlagsBySeverity); "" keeps all.
	Flag string
	// ProgramID keeps one program's payouts; 0 keeps all.
	ProgramID int64
	// ReferrerID keeps one referrer's payouts; 0 keeps all.
	ReferrerID int64
	// Search matches the referrer's or the friend's name or email.
	Search string
	// Sort is the order; "" is SortOldest.
	Sort   PayoutSort
	Paging Paging
}

// filtered is the payouts f chooses, joined with their people and program, unordered.
func (f PayoutFilter) filtered(db *gorm.DB) (*gorm.DB, error) {
	q, err := f.narrowed(db)
	if err != nil || substringSearch(f.Search) {
		return q, err // narrowed joined the people and the program already
	}
	return joinPayoutRows(q), nil
}

// substringSearch reports whether search is text to look for in names and emails (not
// empty, not a whole email address).
func substringSearch(search string) bool {
	_, whole := wholeEmail(search)
	return strings.TrimSpace(search) != "" && !whole
}

// narrowed is the payouts f chooses, unordered: only the payouts table, unless a
// substring search needs the people (then joined as payoutRows joins them).
func (f PayoutFilter) narrowed(db *gorm.DB) (*gorm.DB, error) {
	q := db.Table("payouts")
	if f.Status != "" {
		q = q.Where("payouts.status = ?", f.Status)
	}
	if f.Flag != "" {
		if !ValidFlag(f.Flag) {
			return nil, fmt.Errorf("no flag is called %q", f.Flag)
		}
		// The flag written out, not a parameter: each flag's partial index (migration
		// 00011) is used only for a condition of the same text. ValidFlag keeps it safe.
		q = q.Where(`payouts.flags LIKE '%"` + f.Flag + `"%'`)
	}
	if f.ProgramID != 0 {
		q = q.Where("payouts.program_id = ?", f.ProgramID)
	}
	if f.ReferrerID != 0 {
		q = q.Where("payouts.referrer_id = ?", f.ReferrerID)
	}
	if email, ok := wholeEmail(f.Search); ok {
		// A whole address finds that person's payouts, as referrer or as friend, through
		// the indexes; other text is searched in every name and email.
		q = q.Where(`payouts.id IN (SELECT p.id FROM payouts p JOIN users u ON u.id = p.referrer_id WHERE u.email = ?
			UNION ALL SELECT p.id FROM payouts p JOIN referrals rf ON rf.id = p.referral_id JOIN users u ON u.id = rf.friend_id WHERE u.email = ?)`, email, email)
	} else if substringSearch(f.Search) {
		q = searchReferrerOrFriend(joinPayoutRows(q), f.Search)
	}
	return q, nil
}

// ordered puts q in f's order.
func (f PayoutFilter) ordered(q *gorm.DB) (*gorm.DB, error) {
	switch f.Sort {
	case SortOldest, "":
		q = q.Order("payouts.created_at, payouts.id")
	case SortNewest:
		q = q.Order("payouts.created_at DESC, payouts.id DESC")
	case SortRisk:
		q = q.Order("payouts.risk, payouts.created_at, payouts.id")
	default:
		return nil, fmt.Errorf("no order is called %q", f.Sort)
	}
	return q, nil
}

// ReviewQueue lists one page of the payouts f chooses. Without a flag or a search its
// total comes from the counter rows (PayoutCounts); with one it is counted up to
// CountCap.
func (s *Store) ReviewQueue(ctx context.Context, f PayoutFilter) (Page[PayoutRow], error) {
	db := s.db.WithContext(ctx)
	q, err := f.narrowed(db)
	if err != nil {
		return Page[PayoutRow]{}, err
	}
	// The page's payouts first, in order from the payouts' own indexes, then their
	// people and program for those rows alone: joining first let PostgreSQL join every
	// payout of the status and sort them all.
	pageOf, err := f.ordered(q.Session(&gorm.Session{}).Select("payouts.*"))
	if err != nil {
		return Page[PayoutRow]{}, err
	}
	pageOf = pageOf.Offset(f.Paging.Offset()).Limit(f.Paging.Limit() + 1)
	list, err := f.ordered(joinPayoutRows(db.Table("(?) AS payouts", pageOf)))
	if err != nil {
		return Page[PayoutRow]{}, err
	}
	var rows []PayoutRow
	if err := selectPayoutRows(list).Find(&rows).Error; err != nil {
		return Page[PayoutRow]{}, fmt.Errorf("list payouts: %w", err)
	}
	more := len(rows) > f.Paging.Limit()
	if more {
		rows = rows[:f.Paging.Limit()]
	}
	locate(s.zones, rows, func(r *PayoutRow) *Zone { return &r.Zone })
	page := newPage(rows, 0, f.Paging)
	page.More = more
	if f.Flag == "" && strings.TrimSpace(f.Search) == "" && f.ReferrerID == 0 {
		counts, err := s.PayoutCounts(ctx, f.ProgramID)
		if err != nil {
			return Page[PayoutRow]{}, err
		}
		for status, c := range counts {
			if f.Status == "" || status == f.Status {
				page.Total += c.N
			}
		}
		return page, nil
	}
	page.Total, page.Capped, err = cappedCount(q)
	if err != nil {
		return Page[PayoutRow]{}, fmt.Errorf("count payouts: %w", err)
	}
	return page, nil
}

// EachPayout calls fn with every payout f chooses, in f's order, as the database returns
// them: one query whose rows are read one at a time, so an export of any size holds one
// row in memory. f.Paging is ignored.
func (s *Store) EachPayout(ctx context.Context, f PayoutFilter, fn func(PayoutRow) error) error {
	q, err := f.filtered(s.db.WithContext(ctx))
	if err == nil {
		q, err = f.ordered(q)
	}
	if err != nil {
		return err
	}
	return eachRow(selectPayoutRows(q), func(r *PayoutRow) error {
		r.Zone.location = s.zones.get(r.Zone.name())
		return fn(*r)
	})
}

// StatusTotal is how many payouts are in one status, and their amount.
type StatusTotal struct {
	N     int64
	Cents int64
}

// PayoutCounts is how many payouts (and how many cents) each status holds, in one
// program or (programID 0) in all. It reads the counter rows the database keeps
// (payout_counts), a few rows whatever the number of payouts.
func (s *Store) PayoutCounts(ctx context.Context, programID int64) (map[PayoutStatus]StatusTotal, error) {
	var rows []struct {
		Status PayoutStatus
		N      int64
		Cents  int64
	}
	q := s.db.WithContext(ctx).Table("payout_counts").Select("status, SUM(n) AS n, SUM(cents) AS cents").Group("status")
	if programID != 0 {
		q = q.Where("program_id = ?", programID)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("count payouts: %w", err)
	}
	counts := map[PayoutStatus]StatusTotal{}
	for _, r := range rows {
		counts[r.Status] = StatusTotal{N: r.N, Cents: r.Cents}
	}
	return counts, nil
}

// NextPending is the payout a reviewer who just decided payout id sees next: the first
// payout pending review in f's order that comes after id, or else the first one still
// pending (they started in the middle). ErrNotFound when none is left.
func (s *Store) NextPending(ctx context.Context, f PayoutFilter, id int64) (int64, error) {
	db := s.db.WithContext(ctx)
	f.Status = PayoutPendingReview
	var cur struct {
		CreatedAt time.Time
		Risk      int
	}
	if err := db.Table("payouts").Select("created_at, risk").Where("id = ?", id).Take(&cur).Error; err != nil {
		return 0, notFound(err)
	}
	for _, after := range []bool{true, false} {
		q, err := f.filtered(db)
		if err != nil {
			return 0, err
		}
		if q, err = f.ordered(q.Where("payouts.id <> ?", id)); err != nil {
			return 0, err
		}
		if after {
			switch f.Sort {
			case SortNewest:
				q = q.Where("(payouts.created_at < ? OR (payouts.created_at = ? AND payouts.id < ?))", cur.CreatedAt, cur.CreatedAt, id)
			case SortRisk:
				q = q.Where("(payouts.risk > ? OR (payouts.risk = ? AND (payouts.created_at > ? OR (payouts.created_at = ? AND payouts.id > ?))))",
					cur.Risk, cur.Risk, cur.CreatedAt, cur.CreatedAt, id)
			default:
				q = q.Where("(payouts.created_at > ? OR (payouts.created_at = ? AND payouts.id > ?))", cur.CreatedAt, cur.CreatedAt, id)
			}
		}
		var next []int64
		if err := q.Limit(1).Pluck("payouts.id", &next).Error; err != nil {
			return 0, fmt.Errorf("next payout after %d: %w", id, err)
		}
		if len(next) == 1 {
			return next[0], nil
		}
	}
	return 0, ErrNotFound
}

// RejectionReasons are the reasons a reviewer can start from when rejecting a credit.
// The referrer reads the reason as it is (in the email and on their dashboard), so each
// is written to them; the reviewer may edit it before sending.
func RejectionReasons() []string {
	return []string{
		"Your own client account paid your friend for the work that qualified them, so this credit can't be paid.",
		"Your friend's email address is a variant of your own, so this looks like a second account of yours rather than a new friend.",
		"Your friend signed up from the same internet address you use, and we couldn't confirm they are a different person.",
		"Nearly all of your friend's qualifying earnings came from a single client, and we couldn't confirm the work was genuine.",
		"Refunds took your friend's qualifying earnings back below the program's threshold, so the credit is no longer due.",
	}
}

// PastDecision is an earlier decision on one of a referrer's payouts.
type PastDecision struct {
	PayoutID     int64
	ReferralID   int64
	FriendName   string
	Status       PayoutStatus
	Flags        []string `gorm:"serializer:json"`
	RejectReason string
	DecidedAt    *time.Time
	DecidedBy    *string
}

// maxPastDecisions bounds the rejections shown beside a payout under review.
const maxPastDecisions = 20

// PastRejections lists the referrer's other rejected payouts, the latest first, so a
// reviewer sees "this referrer already had a referrer-was-the-client rejection".
func (s *Store) PastRejections(ctx context.Context, referrerID, exceptPayout int64) ([]PastDecision, error) {
	var out []PastDecision
	err := s.db.WithContext(ctx).Table("payouts").
		Select(`payouts.id AS payout_id, payouts.referral_id, fu.name AS friend_name, payouts.status, payouts.flags,
			payouts.reject_reason, payouts.decided_at, du.email AS decided_by`).
		Joins("JOIN referrals r ON r.id = payouts.referral_id").
		Joins("JOIN users fu ON fu.id = r.friend_id").
		Joins("LEFT JOIN users du ON du.id = payouts.decided_by").
		Where("payouts.referrer_id = ? AND payouts.status = ? AND payouts.id <> ?", referrerID, PayoutRejected, exceptPayout).
		Order("payouts.decided_at DESC, payouts.id DESC").Limit(maxPastDecisions).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("past rejections of referrer %d: %w", referrerID, err)
	}
	return out, nil
}
