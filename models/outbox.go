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
	var emails []Email
	more, err := findPage(q.Session(&gorm.Session{}).Omit("body_text", "body_html").Order("created_at DESC, id DESC"), f.Paging, &emails)
	if err != nil {
		return Page[Email]{}, fmt.Errorf("list emails: %w", err)
	}
	page := newPage(emails, 0, f.Paging)
	page.More = more
	if page.Total, page.Capped, err = cappedCount(q); err != nil {
		return Page[Email]{}, fmt.Errorf("count emails: %w", err)
	}
	return page, nil
}

// OutboxCounts is how many emails are in each delivery status, each counted up to
// CountCap through the status index (capped says which went past it).
func (s *Store) OutboxCounts(ctx context.Context) (counts map[EmailStatus]int64, capped map[EmailStatus]bool, err error) {
	counts, capped = map[EmailStatus]int64{}, map[EmailStatus]bool{}
	for _, status := range []EmailStatus{EmailQueued, EmailSending, EmailSent, EmailFailed} {
		n, over, err := cappedCount(s.db.WithContext(ctx).Model(&Email{}).Where("status = ?", status))
		if err != nil {
			return nil, nil, fmt.Errorf("count %s emails: %w", status, err)
		}
		counts[status], capped[status] = n, over
	}
	return counts, capped, nil
}

// OutboxEmail loads one email with its bodies.
func (s *Store) OutboxEmail(ctx context.Context, id int64) (Email, error) {
	var e Email
	err := s.db.WithContext(ctx).Take(&e, id).Error
	return e, notFound(err)
}
