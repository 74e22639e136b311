package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// PayoutStatus is where a referrer's credit is: waiting for review, approved into a
// monthly batch, rejected, or paid.
type PayoutStatus string

const (
	PayoutPendingReview PayoutStatus = "pending_review"
	PayoutApproved      PayoutStatus = "approved"
	PayoutRejected      PayoutStatus = "rejected"
	PayoutPaid          PayoutStatus = "paid"
)

// PayoutStatuses lists the statuses in the order a payout goes through them.
func PayoutStatuses() []PayoutStatus {
	return []PayoutStatus{PayoutPendingReview, PayoutApproved, PayoutPaid, PayoutRejected}
}

// Fraud flags shown to reviewers (R12).
const (
	FlagReferrerIsClient = "referrer_is_client"
	FlagSimilarEmail     = "similar_email"
	FlagSameIP           = "same_ip"
	FlagSingleClient     = "single_client"
	FlagFast             = "fast"
	FlagBelowThreshold   = "below_threshold"
)

// Payout is the reward for one qualified referral; at most one per referral.
type Payout struct {
	ID           int64
	ReferralID   int64
	ProgramID    int64
	ReferrerID   int64
	AmountCents  int64
	Status       PayoutStatus
	Flags        []string `gorm:"serializer:json"`
	DecidedBy    *int64
	DecidedAt    *time.Time
	RejectReason string
	// BatchMonth (YYYY-MM) is the month, in the program's time zone, the payout was
	// approved in: the batch that pays it (R11).
	BatchMonth *string
	PaidAt     *time.Time
	CreatedAt  time.Time
}

// maxRejectReason bounds a rejection reason, in characters.
const maxRejectReason = 500

// ValidateRejectReason returns the reason a payout is rejected for, trimmed, or the field
// error of the `reason` field: R10 requires one, and the referrer is shown it.
func ValidateRejectReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", FieldErrors{"reason": "Say why this credit is rejected. The referrer will see the reason."}
	case utf8.RuneCountInString(reason) > maxRejectReason:
		return "", FieldErrors{"reason": fmt.Sprintf("Use at most %d characters.", maxRejectReason)}
	case strings.ContainsFunc(reason, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		return "", FieldErrors{"reason": "Use letters, digits, punctuation and line breaks only."}
	}
	return reason, nil
}

// Approve applies R10 to one pending payout: it joins the batch of the calendar month of
// now in the program's time zone (R11). The first decision wins; a payout already
// approved or rejected is left as it is and ErrAlreadyDecided returned. The decision, its
// audit event and the email telling the referrer (with the date it will be paid by)
// commit together.
func (s *Store) Approve(ctx context.Context, actor Actor, payoutID int64) (Payout, error) {
	if err := actor.may(DecidePayouts); err != nil {
		return Payout{}, err
	}
	return s.decide(ctx, actor, payoutID, PayoutApproved, "")
}

// Reject applies R10: it refuses a pending payout for a reason the referrer will see. A
// missing or overlong reason is a field error and changes nothing; a payout already
// decided answers ErrAlreadyDecided.
func (s *Store) Reject(ctx context.Context, actor Actor, payoutID int64, reason string) (Payout, error) {
	if err := actor.may(DecidePayouts); err != nil {
		return Payout{}, err
	}
	reason, err := ValidateRejectReason(reason)
	if err != nil {
		return Payout{}, err
	}
	return s.decide(ctx, actor, payoutID, PayoutRejected, reason)
}

// decide moves a pending payout to status in one transaction. The conditional update
// (WHERE status = 'pending_review') is what makes the first decision win, whatever the
// concurrency: a second one matches no row and changes nothing, audit and email included.
func (s *Store) decide(ctx context.Context, actor Actor, payoutID int64, status PayoutStatus, reason string) (Payout, error) {
	var out Payout
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&out, payoutID).Error; err != nil {
			return notFound(err)
		}
		var prog Program
		if err := tx.Take(&prog, out.ProgramID).Error; err != nil {
			return fmt.Errorf("program of payout %d: %w", payoutID, err)
		}
		now := s.Now()
		changes := map[string]any{"status": status, "decided_by": actor.userRef(), "decided_at": now}
		details := map[string]any{"amount_cents": out.AmountCents, "referral_id": out.ReferralID}
		if status == PayoutApproved {
			month := BatchMonthOf(now, prog.Location())
			changes["batch_month"] = month
			details["batch_month"] = month
		} else {
			changes["reject_reason"] = reason
			details["reason"] = reason
		}
		res := tx.Model(&Payout{}).Where("id = ? AND status = ?", payoutID, PayoutPendingReview).Updates(changes)
		if err := rowsAffected(res, ErrAlreadyDecided); err != nil {
			return err
		}
		if err := tx.Take(&out, payoutID).Error; err != nil {
			return err
		}
		if err := s.audit(tx, actor, "payout."+decisionVerb(status), payoutTarget(payoutID), details); err != nil {
			return err
		}
		return s.queueDecisionNotices(tx, out, prog)
	})
	if err != nil {
		return Payout{}, fmt.Errorf("%s payout %d: %w", decisionVerb(status), payoutID, err)
	}
	return out, nil
}

// queueDecisionNotices tells the referrer what became of their credit (an email), and
// the marketplace (a payout.approved or payout.rejected event). One each per payout:
// only the first decision gets this far.
func (s *Store) queueDecisionNotices(tx *gorm.DB, p Payout, prog Program) error {
	var referrer, friend User
	if err := tx.Take(&referrer, p.ReferrerID).Error; err != nil {
		return err
	}
	if err := tx.Joins("JOIN referrals r ON r.friend_id = users.id").Where("r.id = ?", p.ReferralID).Take(&friend).Error; err != nil {
		return err
	}
	msg := EmailMessage{Kind: EmailCreditRejected, To: referrer, Program: prog, FriendName: friend.Name, AmountCents: p.AmountCents, Reason: p.RejectReason}
	if p.Status == PayoutApproved {
		due, err := prog.DueDate(*p.BatchMonth)
		if err != nil {
			return err
		}
		msg.Kind, msg.DueDate = EmailCreditApproved, due
	}
	if err := s.queueEmail(tx, fmt.Sprintf("decision:%d", p.ID), msg); err != nil {
		return err
	}
	event := newEvent(EventPayoutRejected, payoutTarget(p.ID), PayoutRejectedData{
		PayoutID: p.ID, ReferralID: p.ReferralID, Program: prog.Slug, ReferrerEmail: referrer.Email,
		AmountCents: p.AmountCents, Reason: p.RejectReason,
	})
	if p.Status == PayoutApproved {
		event = newEvent(EventPayoutApproved, payoutTarget(p.ID), PayoutApprovedData{
			PayoutID: p.ID, ReferralID: p.ReferralID, Program: prog.Slug, ReferrerEmail: referrer.Email,
			AmountCents: p.AmountCents, BatchMonth: *p.BatchMonth, DueDate: msg.DueDate.Format(time.DateOnly),
		})
	}
	return s.queueWebhooks(tx, []outgoingEvent{event})
}

func decisionVerb(status PayoutStatus) string {
	if status == PayoutApproved {
		return "approve"
	}
	return "reject"
}

// payoutTarget names a payout in the audit log.
func payoutTarget(id int64) string { return fmt.Sprintf("payout:%d", id) }

// notFound turns gorm's missing row into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// MaxBulkDecisions bounds how many payouts one bulk approval takes: a page of the queue,
// with room to spare.
const MaxBulkDecisions = 500

// DecisionOutcome is what became of one payout of a bulk approval: Err is nil when it was
// approved, ErrAlreadyDecided or ErrNotFound when it was left alone.
type DecisionOutcome struct {
	PayoutID int64
	Err      error
}

// ApproveMany approves each payout of ids as Approve does, each in its own transaction,
// so that one payout decided elsewhere does not hold back the others. It reports one
// outcome per distinct id, in order; it stops at the first unexpected error.
func (s *Store) ApproveMany(ctx context.Context, actor Actor, ids []int64) ([]DecisionOutcome, error) {
	if err := actor.may(DecidePayouts); err != nil {
		return nil, err
	}
	return s.decideMany(ctx, actor, ids, PayoutApproved, "")
}

// RejectMany rejects each payout of ids for one reason, as Reject does, each in its own
// transaction. A missing or overlong reason is a field error and changes nothing.
func (s *Store) RejectMany(ctx context.Context, actor Actor, ids []int64, reason string) ([]DecisionOutcome, error) {
	if err := actor.may(DecidePayouts); err != nil {
		return nil, err
	}
	reason, err := ValidateRejectReason(reason)
	if err != nil {
		return nil, err
	}
	return s.decideMany(ctx, actor, ids, PayoutRejected, reason)
}

// decideMany makes one decision on each distinct payout of ids (R10's bulk decisions).
func (s *Store) decideMany(ctx context.Context, actor Actor, ids []int64, status PayoutStatus, reason string) ([]DecisionOutcome, error) {
	if len(ids) > MaxBulkDecisions {
		return nil, fmt.Errorf("decide at most %d payouts at once, not %d", MaxBulkDecisions, len(ids))
	}
	var out []DecisionOutcome
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		_, err := s.decide(ctx, actor, id, status, reason)
		switch {
		case errors.Is(err, ErrAlreadyDecided):
			err = ErrAlreadyDecided
		case errors.Is(err, ErrNotFound):
			err = ErrNotFound
		case err != nil:
			return out, err
		}
		out = append(out, DecisionOutcome{PayoutID: id, Err: err})
	}
	return out, nil
}

// PayoutRow is a payout as the admin pages show it: with its referrer, friend, program,
// qualification and, once paid, its ledger credit.
type PayoutRow struct {
	Payout         `gorm:"embedded"`
	ReferrerName   string
	ReferrerEmail  string
	FriendName     string
	FriendEmail    string
	RegisteredAt   time.Time
	QualifiedAt    *time.Time
	CountedCents   int64
	ProgramName    string
	ProgramSlug    string
	Zone           // of the payout's program
	ThresholdCents int64
	BusinessDays   int
	DecidedByEmail *string
	LedgerEntryID  *int64
}

// DueDate is the day an approved or paid payout is due by (R11), or false before approval.
func (r PayoutRow) DueDate() (time.Time, bool) {
	if r.BatchMonth == nil {
		return time.Time{}, false
	}
	d, err := Program{PayoutBusinessDays: r.BusinessDays}.DueDate(*r.BatchMonth)
	return d, err == nil
}

// payoutRows is the query behind every list of payouts: the payout with the people and
// program it concerns. Select it with payoutRowColumns.
func payoutRows(db *gorm.DB) *gorm.DB { return joinPayoutRows(db.Table("payouts")) }

// joinPayoutRows joins a query of payouts (named payouts) with what a PayoutRow shows.
func joinPayoutRows(q *gorm.DB) *gorm.DB {
	return q.
		Joins("JOIN referrals r ON r.id = payouts.referral_id").
		Joins("JOIN users ru ON ru.id = payouts.referrer_id").
		Joins("JOIN users fu ON fu.id = r.friend_id").
		Joins("JOIN programs pr ON pr.id = payouts.program_id")
}

// payoutRowColumns are the columns of a PayoutRow. Who decided and the ledger credit
// are scalar subqueries rather than two more joins: PostgreSQL plans a query afresh for
// each page, and with seven tables to order, planning took five times longer than
// running it.
const payoutRowColumns = `payouts.*,
	ru.name AS referrer_name, ru.email AS referrer_email, fu.name AS friend_name, fu.email AS friend_email,
	r.registered_at AS registered_at, r.qualified_at AS qualified_at, r.counted_cents AS counted_cents,
	pr.name AS program_name, pr.slug AS program_slug, pr.time_zone AS time_zone,
	pr.threshold_cents AS threshold_cents, pr.payout_business_days AS business_days,
	(SELECT du.email FROM users du WHERE du.id = payouts.decided_by) AS decided_by_email,
	(SELECT le.id FROM ledger_entries le WHERE le.payout_id = payouts.id) AS ledger_entry_id`

// selectPayoutRows adds the columns to a payoutRows query.
func selectPayoutRows(q *gorm.DB) *gorm.DB { return q.Select(payoutRowColumns) }

// PayoutDetail is one payout with what a reviewer needs to decide it: the earnings that
// qualified the referral and what has been done to the payout so far.
type PayoutDetail struct {
	PayoutRow
	Earnings Page[Earning]
	History  []AuditEvent
}

// maxPayoutHistory bounds the audit events shown on a payout: a payout has a handful.
const maxPayoutHistory = 50

// Payout loads one payout for review with one page of the earnings behind it (those that
// counted toward its referral, in the order they occurred) and its audit history.
func (s *Store) Payout(ctx context.Context, id int64, earnings Paging) (PayoutDetail, error) {
	db := s.db.WithContext(ctx)
	var d PayoutDetail
	var rows []PayoutRow
	if err := selectPayoutRows(payoutRows(db)).Where("payouts.id = ?", id).Find(&rows).Error; err != nil {
		return d, fmt.Errorf("payout %d: %w", id, err)
	}
	if len(rows) == 0 {
		return d, ErrNotFound
	}
	d.PayoutRow = rows[0]
	q := db.Model(&Earning{}).Where("referral_id = ? AND status = ?", d.ReferralID, EarningCounted)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return d, fmt.Errorf("earnings of payout %d: %w", id, err)
	}
	var list []Earning
	if err := q.Order("occurred_at, id").Offset(earnings.Offset()).Limit(earnings.Limit()).Find(&list).Error; err != nil {
		return d, fmt.Errorf("earnings of payout %d: %w", id, err)
	}
	d.Earnings = newPage(list, total, earnings)
	err := db.Where("target = ?", payoutTarget(id)).Order("created_at, id").Limit(maxPayoutHistory).Find(&d.History).Error
	return d, err
}

// ValidPayoutStatus reports whether s names a payout status.
func ValidPayoutStatus(s PayoutStatus) bool { return slices.Contains(PayoutStatuses(), s) }
