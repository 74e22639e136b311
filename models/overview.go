package models

import (
	"context"
	"fmt"
	"time"
)

// Totals are the program staff's numbers across all programs, from invitation to
// payment, each computed by the database with one aggregate query per table.
type Totals struct {
	// Invited is how many referrers hold an invitation; Clicks how often their links were
	// opened.
	Invited int64
	Clicks  int64
	// SignedUp is every referred friend; Earning those with counted earnings (qualified
	// included); Qualified those past the threshold.
	SignedUp  int64
	Earning   int64
	Qualified int64
	// Payouts by status. Approved counts every payout ever approved, paid ones included.
	PendingReview int64
	Approved      int64
	Paid          int64
	Rejected      int64
	// Money: in review (pending), owed (approved, unpaid), paid, and the ledger's credits,
	// which equal PaidCents.
	PendingCents int64
	OwedCents    int64
	PaidCents    int64
	LedgerCents  int64
}

// Overview adds up the funnel and the money of one program, or (programID 0) of all,
// from the counter rows the database keeps (invitation_counts, ReferralCounts,
// PayoutCounts, and across all programs ledger_counts): a few rows whatever the data.
func (s *Store) Overview(ctx context.Context, programID int64) (Totals, error) {
	db := s.db.WithContext(ctx)
	var t Totals
	var invitations struct{ Invited, Clicks int64 }
	q := db.Table("invitation_counts").Select("COALESCE(SUM(invited), 0) AS invited, COALESCE(SUM(clicks), 0) AS clicks")
	if programID != 0 {
		q = q.Where("program_id = ?", programID)
	}
	if err := q.Scan(&invitations).Error; err != nil {
		return t, fmt.Errorf("add up invitations: %w", err)
	}
	t.Invited, t.Clicks = invitations.Invited, invitations.Clicks
	var referrals []struct {
		Status ReferralStatus
		N      int64
	}
	q = db.Table("referral_counts").Select("status, SUM(n) AS n").Group("status")
	if programID != 0 {
		q = q.Where("program_id = ?", programID)
	}
	if err := q.Find(&referrals).Error; err != nil {
		return t, fmt.Errorf("add up referrals: %w", err)
	}
	for _, r := range referrals {
		t.SignedUp += r.N
		switch r.Status {
		case ReferralQualified:
			t.Qualified += r.N
			t.Earning += r.N
		case ReferralEarning:
			t.Earning += r.N
		}
	}
	payouts, err := s.PayoutCounts(ctx, programID)
	if err != nil {
		return t, err
	}
	t.PendingReview, t.PendingCents = payouts[PayoutPendingReview].N, payouts[PayoutPendingReview].Cents
	t.Approved = payouts[PayoutApproved].N + payouts[PayoutPaid].N
	t.OwedCents = payouts[PayoutApproved].Cents
	t.Paid, t.PaidCents = payouts[PayoutPaid].N, payouts[PayoutPaid].Cents
	t.Rejected = payouts[PayoutRejected].N
	if programID != 0 {
		t.LedgerCents = t.PaidCents // the ledger knows no programs: it is checked across all
		return t, nil
	}
	err = db.Raw(`SELECT COALESCE(SUM(cents), 0) FROM ledger_counts WHERE kind = ?`, LedgerReferralCredit).Scan(&t.LedgerCents).Error
	if err != nil {
		return t, fmt.Errorf("add up the ledger: %w", err)
	}
	return t, nil
}

// Inbox is what needs staff action, for the top of the overview.
type Inbox struct {
	// ToReview are the payouts pending review; Approved those approved and unpaid.
	ToReview, Approved StatusTotal
	// NextBatch is the oldest month with approved, unpaid credits, due by NextDue.
	NextBatch string
	NextDue   time.Time
	// FailedEmails is how many emails failed.
	FailedEmails int64
	// PastDeadline are the programs still active after their deadline.
	PastDeadline []ProgramChoice
}

// Inbox gathers what needs doing: credits to review, approved credits to pay and by
// when, failed emails, and programs past their deadline that are still marked active.
func (s *Store) Inbox(ctx context.Context) (Inbox, error) {
	db := s.db.WithContext(ctx)
	var in Inbox
	counts, err := s.PayoutCounts(ctx, 0)
	if err != nil {
		return in, err
	}
	in.ToReview, in.Approved = counts[PayoutPendingReview], counts[PayoutApproved]
	if in.Approved.N > 0 {
		var months []string
		if err := db.Model(&Payout{}).Where("status = ?", PayoutApproved).Order("batch_month").Limit(1).Pluck("batch_month", &months).Error; err != nil {
			return in, fmt.Errorf("oldest unpaid batch: %w", err)
		}
		var programs []Program
		err := db.Where("id IN (SELECT program_id FROM payout_counts WHERE status = ? AND n > 0)", PayoutApproved).Find(&programs).Error
		if err != nil {
			return in, err
		}
		if len(months) == 1 {
			in.NextBatch = months[0]
			for _, p := range programs {
				if due, err := p.DueDate(in.NextBatch); err == nil && (in.NextDue.IsZero() || due.Before(in.NextDue)) {
					in.NextDue = due
				}
			}
		}
	}
	emails, err := s.emailCounts(ctx)
	if err != nil {
		return in, err
	}
	in.FailedEmails = emails.total(EmailFailed, "")
	err = db.Model(&Program{}).Select("slug, name").Where("status = ? AND deadline < ?", ProgramActive, s.Now()).
		Order("deadline, id").Find(&in.PastDeadline).Error
	return in, err
}

// WeekPoint is one week of the overview's time series.
type WeekPoint struct {
	// Week is the Monday (UTC) the week starts on.
	Week      time.Time
	SignUps   int64
	Qualified int64
	Paid      int64
	PaidCents int64
}

// MaxSeriesWeeks bounds the overview's date range.
const MaxSeriesWeeks = 105

// WeeklySeries counts, per week (Monday to Sunday, UTC) from the week of from to the
// week of to, the friends who signed up, those who qualified and the credits paid, in
// one program or (programID 0) all. It adds up the daily counter rows the database
// keeps (daily_counts): a few hundred rows whatever the number of referrals.
func (s *Store) WeeklySeries(ctx context.Context, programID int64, from, to time.Time) ([]WeekPoint, error) {
	start := WeekStart(from)
	end := WeekStart(to).AddDate(0, 0, 7)
	if end.Sub(start) > MaxSeriesWeeks*7*24*time.Hour {
		return nil, fmt.Errorf("at most %d weeks", MaxSeriesWeeks)
	}
	var out []WeekPoint
	index := map[time.Time]int{}
	for w := start; w.Before(end); w = w.AddDate(0, 0, 7) {
		index[w] = len(out)
		out = append(out, WeekPoint{Week: w})
	}
	var days []struct {
		Day                                 string
		Signups, Qualified, Paid, PaidCents int64
	}
	q := s.db.WithContext(ctx).Table("daily_counts").
		Select("day, SUM(signups) AS signups, SUM(qualified) AS qualified, SUM(paid) AS paid, SUM(paid_cents) AS paid_cents").
		Where("day >= ? AND day < ?", start.Format(time.DateOnly), end.Format(time.DateOnly)).Group("day")
	if programID != 0 {
		q = q.Where("program_id = ?", programID)
	}
	if err := q.Find(&days).Error; err != nil {
		return nil, fmt.Errorf("weekly series: %w", err)
	}
	for _, d := range days {
		day, err := time.Parse(time.DateOnly, d.Day)
		if err != nil {
			continue
		}
		if i, ok := index[WeekStart(day)]; ok {
			out[i].SignUps += d.Signups
			out[i].Qualified += d.Qualified
			out[i].Paid += d.Paid
			out[i].PaidCents += d.PaidCents
		}
	}
	return out, nil
}

// WeekStart is the Monday 00:00 UTC of t's week.
func WeekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}
