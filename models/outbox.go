package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// The outbox is every email the program has queued (R13), whether delivered or not, so
// staff can see what went to whom. Delivery is the jobs' business; this only reads.

// OutboxFilter chooses the emails of the outbox list.
type OutboxFilter struct {
	Status EmailStatus
	Kind   EmailKind
	// Search matches the recipient's address or the subject.
	Search string
	Paging Paging
}

// Outbox lists emails, the most recent first, without their bodies. Without a search
// its total comes from the counter rows (email_counts); a search is counted up to
// CountCap.
func (s *Store) Outbox(ctx context.Context, f OutboxFilter) (Page[Email], error) {
	q := s.db.WithContext(ctx).Model(&Email{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	searched := strings.TrimSpace(f.Search) != ""
	if searched {
		pat := containsPattern(f.Search)
		q = q.Where("(recipient LIKE ?"+likeEscape+" OR LOWER(subject) LIKE ?"+likeEscape+")", pat, pat)
	}
	var emails []Email
	more, err := findPage(q.Session(&gorm.Session{}).Omit("body_text", "body_html").Order("created_at DESC, id DESC"), f.Paging, &emails)
	if err != nil {
		return Page[Email]{}, fmt.Errorf("list emails: %w", err)
	}
	page := newPage(emails, 0, f.Paging)
	page.More = more
	if searched {
		if page.Total, page.Capped, err = cappedCount(q); err != nil {
			return Page[Email]{}, fmt.Errorf("count emails: %w", err)
		}
		return page, nil
	}
	counts, err := s.emailCounts(ctx)
	page.Total = counts.total(f.Status, f.Kind)
	return page, err
}

// emailTotals are the counter rows of the emails (email_counts, kept by the database on
// every insert and change of status; see migration 00016): how many per status and kind.
type emailTotals map[EmailStatus]map[EmailKind]int64

// emailCounts reads the counter rows of the emails: a row per status and kind.
func (s *Store) emailCounts(ctx context.Context) (emailTotals, error) {
	var rows []struct {
		Status EmailStatus
		Kind   EmailKind
		N      int64
	}
	if err := s.db.WithContext(ctx).Table("email_counts").Select("status, kind, n").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("count emails: %w", err)
	}
	t := emailTotals{}
	for _, r := range rows {
		if t[r.Status] == nil {
			t[r.Status] = map[EmailKind]int64{}
		}
		t[r.Status][r.Kind] += r.N
	}
	return t, nil
}

// total is how many emails have status and kind ("" is any).
func (t emailTotals) total(status EmailStatus, kind EmailKind) int64 {
	var n int64
	for s, kinds := range t {
		if status != "" && s != status {
			continue
		}
		for k, c := range kinds {
			if kind == "" || k == kind {
				n += c
			}
		}
	}
	return n
}

// OutboxCounts is how many emails are in each delivery status, from the counter rows.
func (s *Store) OutboxCounts(ctx context.Context) (map[EmailStatus]int64, error) {
	t, err := s.emailCounts(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[EmailStatus]int64{}
	for status := range t {
		counts[status] = t.total(status, "")
	}
	return counts, nil
}

// OutboxEmail loads one email with its bodies.
func (s *Store) OutboxEmail(ctx context.Context, id int64) (Email, error) {
	var e Email
	err := s.db.WithContext(ctx).Take(&e, id).Error
	return e, notFound(err)
}
