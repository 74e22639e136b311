package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/us"
	"gorm.io/gorm"
)

// Batches (R11): an approved payout joins the batch of the calendar month, in its
// program's time zone, it was approved in. Batch M is due by the Nth business day after M
// ends; paying it gives each of its approved payouts exactly one ledger credit.

const batchMonthLayout = "2006-01"

// ParseBatchMonth reads a batch month written YYYY-MM and returns its first day (UTC).
func ParseBatchMonth(s string) (time.Time, error) {
	t, err := time.Parse(batchMonthLayout, s)
	if err != nil || t.Format(batchMonthLayout) != s {
		return time.Time{}, fmt.Errorf("batch month %q: use YYYY-MM, like 2019-03", s)
	}
	return t, nil
}

// BatchMonthOf is the batch month (YYYY-MM) of the instant t in loc.
func BatchMonthOf(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(batchMonthLayout)
}

// DueDate applies R11's deadline: the businessDays-th business day after the month that
// starts on month ends, counting Monday to Friday and skipping U.S. federal holidays as
// observed (a holiday on a Saturday is observed the Friday before, one on a Sunday the
// Monday after; New Year's Day on a Saturday is observed on December 31). The holidays
// come from github.com/rickar/cal, whose us package follows OPM's rules. The result is a
// calendar day, at midnight UTC.
func DueDate(month time.Time, businessDays int) time.Time {
	// A new calendar per call: the library's holiday cache is not safe for concurrent use.
	c := cal.NewBusinessCalendar()
	c.AddHoliday(us.Holidays...)
	lastDay := time.Date(month.Year(), month.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	return c.WorkdaysFrom(lastDay, businessDays)
}

// dueCache remembers batch months' due dates by month and number of business days:
// working one out takes a business calendar and its holidays, which cost more than the
// rest of a dashboard row, and the answer never changes.
type dueCache struct {
	dates sync.Map // "YYYY-MM/N" -> time.Time
}

// due is p.DueDate(month), remembered.
func (c *dueCache) due(p Program, month string) (time.Time, error) {
	key := month + "/" + strconv.Itoa(p.PayoutBusinessDays)
	if d, ok := c.dates.Load(key); ok {
		return d.(time.Time), nil
	}
	d, err := p.DueDate(month)
	if err != nil {
		return time.Time{}, err
	}
	c.dates.Store(key, d)
	return d, nil
}

// DueDate is the day batch month (YYYY-MM) is due by under this program's number of
// payout business days.
func (p Program) DueDate(month string) (time.Time, error) {
	m, err := ParseBatchMonth(month)
	if err != nil {
		return time.Time{}, err
	}
	return DueDate(m, p.PayoutBusinessDays), nil
}

// dueBy is the last instant of the due day in the program's time zone.
func (p Program) dueBy(due time.Time) time.Time {
	loc := p.Location()
	return time.Date(due.Year(), due.Month(), due.Day()+1, 0, 0, 0, 0, loc).Add(-time.Millisecond).UTC()
}

// monthEnds is the first instant after batch month (YYYY-MM) in the program's time zone.
func (p Program) monthEnds(month string) time.Time {
	m, _ := ParseBatchMonth(month)
	return time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, p.Location()).UTC()
}

// BatchSummary is one month's batch: what is approved and waiting, what is paid, and the
// ledger credits written for it, which always equal what is paid.
type BatchSummary struct {
	Month         string
	ApprovedCount int64
	ApprovedCents int64
	PaidCount     int64
	PaidCents     int64
	// LedgerCents is the sum of the ledger credits of the batch's payouts.
	LedgerCents int64
	// DueDate is the day the batch is due by (the earliest, when programs with different
	// numbers of business days share the month); DueBy is the end of that day.
	DueDate time.Time
	DueBy   time.Time
	// EndsAt is when the month is over in the time zone of every program in the batch.
	EndsAt time.Time
}

// Open reports whether the month is not over yet: payouts approved later in it will
// join the batch after a pay run.
func (b BatchSummary) Open(now time.Time) bool { return now.Before(b.EndsAt) }

// TotalCount is every payout in the batch, paid or not.
func (b BatchSummary) TotalCount() int64 { return b.ApprovedCount + b.PaidCount }

// TotalCents is the batch's whole amount.
func (b BatchSummary) TotalCents() int64 { return b.ApprovedCents + b.PaidCents }

// Overdue reports whether approved payouts are still unpaid after the due day.
func (b BatchSummary) Overdue(now time.Time) bool {
	return b.ApprovedCount > 0 && !b.DueBy.IsZero() && now.After(b.DueBy)
}

// Reconciled reports whether the ledger holds exactly what the batch paid.
func (b BatchSummary) Reconciled() bool { return b.LedgerCents == b.PaidCents }

// Batches lists the batches, the latest month first. It reads the counter rows the
// database keeps per batch month (batch_counts, ledger_counts; see migration 00016), not
// the payouts.
func (s *Store) Batches(ctx context.Context, paging Paging) (Page[BatchSummary], error) {
	db := s.db.WithContext(ctx)
	var total int64
	if err := db.Raw("SELECT COUNT(DISTINCT batch_month) FROM batch_counts WHERE n <> 0").Scan(&total).Error; err != nil {
		return Page[BatchSummary]{}, fmt.Errorf("count batches: %w", err)
	}
	var months []string
	err := db.Table("batch_counts").Where("n <> 0").Distinct("batch_month").
		Order("batch_month DESC").Offset(paging.Offset()).Limit(paging.Limit()).Pluck("batch_month", &months).Error
	if err != nil {
		return Page[BatchSummary]{}, fmt.Errorf("list batches: %w", err)
	}
	summaries, err := s.batchSummaries(db, months)
	return newPage(summaries, total, paging), err
}

// batchSummaries adds up the batches of months, in the order given, from the counter rows
// (a row per program and status of each month, and per kind of ledger entry).
func (s *Store) batchSummaries(db *gorm.DB, months []string) ([]BatchSummary, error) {
	if len(months) == 0 {
		return nil, nil
	}
	var groups []struct {
		BatchMonth string
		ProgramID  int64
		Status     PayoutStatus
		N          int64
		Cents      int64
	}
	err := db.Table("batch_counts").Select("batch_month, program_id, status, n, cents").
		Where("batch_month IN ? AND n <> 0", months).Find(&groups).Error
	if err != nil {
		return nil, fmt.Errorf("add up batches: %w", err)
	}
	var ledger []struct {
		BatchMonth string
		Cents      int64
	}
	err = db.Table("ledger_counts").Select("batch_month, SUM(cents) AS cents").
		Where("batch_month IN ?", months).Group("batch_month").Find(&ledger).Error
	if err != nil {
		return nil, fmt.Errorf("add up batch credits: %w", err)
	}
	programs := map[int64]Program{}
	for _, g := range groups {
		programs[g.ProgramID] = Program{}
	}
	if len(programs) > 0 {
		var list []Program
		ids := make([]int64, 0, len(programs))
		for id := range programs {
			ids = append(ids, id)
		}
		if err := db.Where("id IN ?", ids).Find(&list).Error; err != nil {
			return nil, err
		}
		for _, p := range list {
			programs[p.ID] = p
		}
	}

	byMonth := map[string]*BatchSummary{}
	out := make([]BatchSummary, len(months))
	for i, m := range months {
		out[i].Month = m
		byMonth[m] = &out[i]
	}
	for _, g := range groups {
		b := byMonth[g.BatchMonth]
		switch g.Status {
		case PayoutApproved:
			b.ApprovedCount += g.N
			b.ApprovedCents += g.Cents
		case PayoutPaid:
			b.PaidCount += g.N
			b.PaidCents += g.Cents
		}
		p := programs[g.ProgramID]
		due, err := p.DueDate(g.BatchMonth)
		if err != nil {
			return nil, err
		}
		if b.DueDate.IsZero() || due.Before(b.DueDate) {
			b.DueDate, b.DueBy = due, p.dueBy(due)
		}
		if ends := p.monthEnds(g.BatchMonth); ends.After(b.EndsAt) {
			b.EndsAt = ends
		}
	}
	for _, l := range ledger {
		byMonth[l.BatchMonth].LedgerCents = l.Cents
	}
	return out, nil
}

// BatchDetail is one batch with a page of its payouts.
type BatchDetail struct {
	BatchSummary
	Payouts Page[PayoutRow]
}

// Batch loads the batch of month (YYYY-MM) with one page of its payouts, those waiting
// for payment first. A month without payouts is an empty batch; a malformed one is not
// found.
func (s *Store) Batch(ctx context.Context, month string, paging Paging) (BatchDetail, error) {
	if _, err := ParseBatchMonth(month); err != nil {
		return BatchDetail{}, ErrNotFound
	}
	db := s.db.WithContext(ctx)
	sums, err := s.batchSummaries(db, []string{month})
	if err != nil {
		return BatchDetail{}, err
	}
	d := BatchDetail{BatchSummary: sums[0]}
	var rows []PayoutRow
	q := selectPayoutRows(payoutRows(db)).Where("payouts.batch_month = ?", month).
		Order("CASE WHEN payouts.status = 'approved' THEN 0 ELSE 1 END, payouts.id")
	if err := q.Offset(paging.Offset()).Limit(paging.Limit()).Find(&rows).Error; err != nil {
		return BatchDetail{}, fmt.Errorf("payouts of batch %s: %w", month, err)
	}
	d.Payouts = newPage(rows, d.TotalCount(), paging)
	return d, nil
}

// payoutChunk is how many payouts a pay run or an export reads at a time.
const payoutChunk = 200

// EachBatchPayout calls fn with every payout of batch month, in id order, reading them a
// chunk at a time so an export of any size holds little memory.
func (s *Store) EachBatchPayout(ctx context.Context, month string, fn func(PayoutRow) error) error {
	if _, err := ParseBatchMonth(month); err != nil {
		return ErrNotFound
	}
	var last int64
	for {
		var rows []PayoutRow
		err := selectPayoutRows(payoutRows(s.db.WithContext(ctx))).
			Where("payouts.batch_month = ? AND payouts.id > ?", month, last).
			Order("payouts.id").Limit(payoutChunk).Find(&rows).Error
		if err != nil {
			return fmt.Errorf("payouts of batch %s: %w", month, err)
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
			last = r.ID
		}
		if len(rows) < payoutChunk {
			return nil
		}
	}
}

// PaidPayout is one payout a pay run credited.
type PaidPayout struct {
	PayoutID      int64
	ReferrerEmail string
	FriendName    string
	AmountCents   int64
	LedgerEntryID int64
}

// BatchPayment is what one pay run did.
type BatchPayment struct {
	Month     string
	Paid      []PaidPayout
	PaidCents int64
}

// payChunk is how many payouts one pay transaction takes: large enough that a batch of
// ten thousand is a hundred transactions of a few set-based statements each, small
// enough that a crash loses a moment's work and concurrent runs interleave. Tests make
// it smaller (Store.payChunk) to break a run between two chunks.
const payChunk = 100

// PayBatch applies R11's payment to batch month (YYYY-MM): each approved payout gets one
// ledger credit (fee 0), is marked paid, and its "credit paid" email is queued, in
// transactions of up to payChunk payouts. A run that stops midway (a crash, a cancelled
// context, a failing database) keeps every transaction it committed and leaves the
// other payouts approved, so a rerun pays exactly what is still unpaid. Concurrent runs
// cannot pay a payout twice: the conditional update (WHERE status = 'approved') lets one
// of them claim it, and the ledger's unique payout_id and reference refuse a second
// credit whatever happens.
func (s *Store) PayBatch(ctx context.Context, actor Actor, month string) (BatchPayment, error) {
	return s.PayBatchEach(ctx, actor, month, nil)
}

// PayBatchEach is PayBatch calling paid with each payout as soon as its transaction has
// committed, for a caller that reports progress (nil calls nothing).
func (s *Store) PayBatchEach(ctx context.Context, actor Actor, month string, paid func(PaidPayout)) (BatchPayment, error) {
	res := BatchPayment{Month: month}
	if err := actor.may(PayBatches); err != nil {
		return res, err
	}
	if _, err := ParseBatchMonth(month); err != nil {
		return res, err
	}
	var last int64
	for {
		var ids []int64
		err := s.db.WithContext(ctx).Model(&Payout{}).
			Where("batch_month = ? AND status = ? AND id > ?", month, PayoutApproved, last).
			Order("id").Limit(s.payChunk).Pluck("id", &ids).Error
		if err != nil {
			return res, fmt.Errorf("pay batch %s: %w", month, err)
		}
		if len(ids) == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("pay batch %s: stopped after paying %d: %w", month, len(res.Paid), err)
		}
		done, err := s.payPayouts(ctx, actor, ids)
		if err != nil {
			return res, fmt.Errorf("pay batch %s: payouts %d to %d, after paying %d: %w", month, ids[0], ids[len(ids)-1], len(res.Paid), err)
		}
		for _, p := range done {
			res.Paid = append(res.Paid, p)
			res.PaidCents += p.AmountCents
			if paid != nil {
				paid(p)
			}
		}
		last = ids[len(ids)-1]
	}
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		return s.audit(tx, actor, "batch.pay", batchTarget(month), map[string]any{"paid": len(res.Paid), "amount_cents": res.PaidCents})
	})
	return res, err
}

// batchTarget names a batch in the audit log.
func batchTarget(month string) string { return "batch:" + month }

// payPayouts pays the payouts of ids that are still approved, in one transaction, with
// a fixed number of statements whatever their number: it marks them paid, writes their
// ledger credits, queues their "credit paid" emails (R13) and audits each. The payouts a
// concurrent run claimed first are left out of what it returns, in id order.
func (s *Store) payPayouts(ctx context.Context, actor Actor, ids []int64) ([]PaidPayout, error) {
	var out []PaidPayout
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		out = nil
		now := s.Now()
		var claimed []int64
		err := rawScan(tx, &claimed, "UPDATE payouts SET status = ?, paid_at = ? WHERE id IN ? AND status = ? RETURNING id",
			PayoutPaid, now, ids, PayoutApproved)
		if err != nil || len(claimed) == 0 {
			return err
		}
		var payouts []struct {
			Payout     `gorm:"embedded"`
			FriendName string
		}
		err = tx.Table("payouts").Select("payouts.*, fu.name AS friend_name").
			Joins("JOIN referrals r ON r.id = payouts.referral_id").
			Joins("JOIN users fu ON fu.id = r.friend_id").
			Where("payouts.id IN ?", claimed).Order("payouts.id").Find(&payouts).Error
		if err != nil {
			return err
		}
		var referrerIDs, programIDs []int64
		for _, p := range payouts {
			referrerIDs, programIDs = append(referrerIDs, p.ReferrerID), append(programIDs, p.ProgramID)
		}
		referrers, err := byID(tx, distinct(referrerIDs), func(u User) int64 { return u.ID })
		if err != nil {
			return err
		}
		programs, err := byID(tx, distinct(programIDs), func(p Program) int64 { return p.ID })
		if err != nil {
			return err
		}
		// The ledger credits, one statement; the unique payout_id and reference make a
		// second credit for a payout fail the whole transaction.
		args := make([]any, 0, len(payouts)*8)
		for _, p := range payouts {
			args = append(args, p.ReferrerID, p.ID, p.AmountCents, 0, string(LedgerReferralCredit),
				"Referral bonus - "+p.FriendName, payoutTarget(p.ID), now)
		}
		var credits []struct{ ID, PayoutID int64 }
		err = rawScan(tx, &credits, "INSERT INTO ledger_entries (user_id, payout_id, amount_cents, fee_cents, kind, description, reference, created_at) VALUES "+
			placeholders(len(payouts), slices.Repeat([]string{"?"}, 8)...)+" RETURNING id, payout_id", args...)
		if err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return fmt.Errorf("a payout already has a ledger credit: %w", err)
			}
			return err
		}
		entryOf := make(map[int64]int64, len(credits))
		for _, c := range credits {
			entryOf[c.PayoutID] = c.ID
		}

		emails := make([]queuedEmail, len(payouts))
		events := make([]auditRecord, len(payouts))
		hooks := make([]outgoingEvent, len(payouts))
		for i, p := range payouts {
			referrer := referrers[p.ReferrerID]
			hooks[i] = newEvent(EventPayoutPaid, payoutTarget(p.ID), PayoutPaidData{
				PayoutID: p.ID, ReferralID: p.ReferralID, Program: programs[p.ProgramID].Slug, ReferrerEmail: referrer.Email,
				AmountCents: p.AmountCents, FeeCents: 0, LedgerReference: payoutTarget(p.ID), BatchMonth: deref(p.BatchMonth),
				PaidAt: webhookTime(now),
			})
			emails[i] = queuedEmail{dedupeKey: fmt.Sprintf("credit_paid:%d", p.ID), msg: EmailMessage{
				Kind: EmailCreditPaid, To: referrer, Program: programs[p.ProgramID], FriendName: p.FriendName, AmountCents: p.AmountCents,
			}}
			events[i] = auditRecord{action: "payout.pay", target: payoutTarget(p.ID), details: map[string]any{
				"batch_month": p.BatchMonth, "amount_cents": p.AmountCents, "ledger_entry_id": entryOf[p.ID],
			}}
			out = append(out, PaidPayout{PayoutID: p.ID, ReferrerEmail: referrer.Email, FriendName: p.FriendName,
				AmountCents: p.AmountCents, LedgerEntryID: entryOf[p.ID]})
		}
		if err := s.queueWebhooks(tx, hooks); err != nil {
			return err
		}
		if err := s.queueEmails(tx, emails); err != nil {
			return err
		}
		return s.auditAll(tx, actor, events)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// byID loads the rows of ids, keyed by id.
func byID[T any](tx *gorm.DB, ids []int64, id func(T) int64) (map[int64]T, error) {
	rows, err := findIn[T](tx, "id", ids)
	out := make(map[int64]T, len(rows))
	for _, r := range rows {
		out[id(r)] = r
	}
	return out, err
}
