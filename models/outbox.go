package models

import (
	"context"
	"fmt"
	"strings"
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

// Outbox lists emails, the most recent first, without their bodies.
func (s *Store) Outbox(ctx context.Context, f OutboxFilter) (Page[Email], error) {
	q := s.db.WithContext(ctx).Model(&Email{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if strings.TrimSpace(f.Search) != "" {
		pat := containsPattern(f.Search)
		q = q.Where("(recipient LIKE ?"+likeEscape+" OR LOWER(subject) LIKE ?"+likeEscape+")", pat, pat)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return Page[Email]{}, fmt.Errorf("count emails: %w", err)
	}
	var emails []Email
	err := q.Omit("body_text", "body_html").Order("created_at DESC, id DESC").
		Offset(f.Paging.Offset()).Limit(f.Paging.Limit()).Find(&emails).Error
	if err != nil {
		return Page[Email]{}, fmt.Errorf("list emails: %w", err)
	}
	return newPage(emails, total, f.Paging), nil
}

// OutboxCounts is how many emails are in each delivery status.
func (s *Store) OutboxCounts(ctx context.Context) (map[EmailStatus]int64, error) {
	var rows []struct {
		Status EmailStatus
		N      int64
	}
	err := s.db.WithContext(ctx).Model(&Email{}).Select("status, COUNT(*) AS n").Group("status").Find(&rows).Error
	counts := map[EmailStatus]int64{}
	for _, r := range rows {
		counts[r.Status] = r.N
	}
	return counts, err
}

// OutboxEmail loads one email with its bodies.
func (s *Store) OutboxEmail(ctx context.Context, id int64) (Email, error) {
	var e Email
	err := s.db.WithContext(ctx).Take(&e, id).Error
	return e, notFound(err)
}
