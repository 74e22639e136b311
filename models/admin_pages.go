package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// The admin's pages of one referral (its timeline from invitation to payment) and of
// one referrer (invitations, friends, payouts and past decisions).

// TimelineEvent is one thing that happened to a referral.
type TimelineEvent struct {
	At   time.Time
	Kind string // invited, reminded, clicks, joined, earning, qualified, flagged, decided, paid, email
	// Title says what happened in a few words; Detail adds the facts.
	Title  string
	Detail string
	// Href links the event's own page, if it has one.
	Href string
	// Earning is set for earning events; Email for email events.
	Earning *Earning
	Email   *Email
	// Tone colours the event's marker: ok, warn, bad, info or "".
	Tone string
}

// maxTimelineEarnings bounds the earnings a timeline lists; the rest are counted.
const maxTimelineEarnings = 200

// ReferralTimeline is one referral on one page.
type ReferralTimeline struct {
	ReferralRow
	FriendSignupIP string
	Invitation     Invitation
	Payout         *PayoutRow
	Events         []TimelineEvent
	// EarningsShown of EarningsTotal of the friend's earnings are on the timeline.
	EarningsShown, EarningsTotal int64
}

// ReferralTimeline gathers everything about referral id, in time order: the invitation
// (and reminder), the link's clicks, the friend joining (with the address), each of the
// friend's earnings, counted or ignored with the reason, the qualification, the payout's
// flags, the decision and by whom, the batch and the ledger credit, and every email sent
// about it. Unknown ids answer ErrNotFound.
func (s *Store) ReferralTimeline(ctx context.Context, id int64) (ReferralTimeline, error) {
	db := s.db.WithContext(ctx)
	var t ReferralTimeline
	var rows []ReferralRow
	err := ReferralFilter{}.filtered(db, s.Now()).Select(referralRowColumns).Where("referrals.id = ?", id).Find(&rows).Error
	if err != nil {
		return t, fmt.Errorf("referral %d: %w", id, err)
	}
	if len(rows) == 0 {
		return t, ErrNotFound
	}
	t.ReferralRow = rows[0]
	var ips []string
	if err := db.Model(&User{}).Where("id = ?", t.FriendID).Pluck("signup_ip", &ips).Error; err != nil {
		return t, err
	}
	if len(ips) == 1 {
		t.FriendSignupIP = ips[0]
	}
	if err := db.Take(&t.Invitation, t.InvitationID).Error; err != nil {
		return t, fmt.Errorf("invitation of referral %d: %w", id, err)
	}
	var payouts []PayoutRow
	if err := selectPayoutRows(payoutRows(db)).Where("payouts.referral_id = ?", id).Find(&payouts).Error; err != nil {
		return t, fmt.Errorf("payout of referral %d: %w", id, err)
	}
	if len(payouts) == 1 {
		t.Payout = &payouts[0]
	}
	var earnings []Earning
	q := db.Model(&Earning{}).Where("freelancer_id = ?", t.FriendID)
	if err := q.Count(&t.EarningsTotal).Error; err != nil {
		return t, err
	}
	if err := q.Order("occurred_at, id").Limit(maxTimelineEarnings).Find(&earnings).Error; err != nil {
		return t, fmt.Errorf("earnings of referral %d: %w", id, err)
	}
	t.EarningsShown = int64(len(earnings))
	keys := []string{fmt.Sprintf("invitation:%d", t.InvitationID), fmt.Sprintf("reminder:%d", t.InvitationID),
		fmt.Sprintf("friend_joined:%d", id), fmt.Sprintf("friend_qualified:%d", id)}
	var history []AuditEvent
	if t.Payout != nil {
		keys = append(keys, fmt.Sprintf("decision:%d", t.Payout.ID), fmt.Sprintf("credit_paid:%d", t.Payout.ID))
		if err := db.Where("target = ?", payoutTarget(t.Payout.ID)).Order("created_at, id").Limit(maxPayoutHistory).Find(&history).Error; err != nil {
			return t, err
		}
	}
	var emails []Email
	if err := db.Omit("body_text", "body_html").Where("dedupe_key IN ?", keys).Find(&emails).Error; err != nil {
		return t, fmt.Errorf("emails of referral %d: %w", id, err)
	}
	// The link's clicks up to the day the friend joined: the days that led to them.
	var clicks []clickDay
	joined := t.RegisteredAt.In(t.Location()).Format(time.DateOnly)
	err = db.Table("invitation_clicks").Select("day, clicks").Where("invitation_id = ? AND day <= ?", t.InvitationID, joined).
		Order("day DESC").Limit(maxTimelineClickDays).Find(&clicks).Error
	if err != nil {
		return t, fmt.Errorf("clicks of referral %d: %w", id, err)
	}
	t.Events = timelineEvents(t, earnings, history, emails, clicks)
	return t, nil
}

// clickDay is one day's clicks on an invite link (growth's invitation_clicks).
type clickDay struct {
	Day    string
	Clicks int64
}

// maxTimelineClickDays bounds the days of clicks a timeline shows.
const maxTimelineClickDays = 30

// timelineEvents lays out what happened to a referral in time order.
func timelineEvents(t ReferralTimeline, earnings []Earning, history []AuditEvent, emails []Email, clicks []clickDay) []TimelineEvent {
	money := func(c int64) string { return "$" + FormatDollars(c) }
	ev := []TimelineEvent{{At: t.Invitation.InvitedAt, Kind: "invited", Title: "Referrer invited",
		Detail: fmt.Sprintf("%s got the invite link /r/%s.", t.ReferrerName, t.Invitation.Code)}}
	if t.Invitation.RemindedAt != nil {
		ev = append(ev, TimelineEvent{At: *t.Invitation.RemindedAt, Kind: "reminded", Title: "Referrer reminded"})
	}
	for _, c := range clicks {
		day, err := time.ParseInLocation(time.DateOnly, c.Day, t.Location())
		if err != nil {
			continue
		}
		noun := "clicks"
		if c.Clicks == 1 {
			noun = "click"
		}
		ev = append(ev, TimelineEvent{At: day, Kind: "clicks", Title: fmt.Sprintf("%d link %s", c.Clicks, noun),
			Detail: "Visits of " + t.ReferrerName + "'s invite link that day (from anyone)."})
	}
	joined := fmt.Sprintf("%s (%s) signed up through the link.", t.FriendName, t.FriendEmail)
	if t.FriendSignupIP != "" {
		joined += " From " + t.FriendSignupIP + "."
	}
	ev = append(ev, TimelineEvent{At: t.RegisteredAt, Kind: "joined", Title: "Friend joined", Detail: joined, Tone: "info"})
	var running int64
	for i := range earnings {
		e := earnings[i]
		item := TimelineEvent{At: e.OccurredAt, Kind: "earning", Earning: &earnings[i]}
		if e.Status == EarningCounted && e.ReferralID != nil && *e.ReferralID == t.ID {
			running += e.AmountCents
			item.Title = "Earning counted: " + money(e.AmountCents)
			item.Detail = fmt.Sprintf("%s from client %s; %s counted so far.", e.Category, e.ClientID, money(running))
			item.Tone = "ok"
		} else {
			item.Title = "Earning ignored: " + money(e.AmountCents)
			item.Detail = fmt.Sprintf("%s from client %s: %s.", e.Category, e.ClientID, cmp.Or(e.Reason, "not this referral"))
		}
		ev = append(ev, item)
	}
	if t.QualifiedAt != nil {
		ev = append(ev, TimelineEvent{At: *t.QualifiedAt, Kind: "qualified", Title: "Qualified",
			Detail: fmt.Sprintf("Counted earnings reached the %s threshold.", money(t.ThresholdCents)), Tone: "ok"})
	}
	if p := t.Payout; p != nil {
		created := TimelineEvent{At: p.CreatedAt, Kind: "flagged", Title: "Payout created, pending review",
			Detail: money(p.AmountCents) + " for " + t.ReferrerName + ".", Href: fmt.Sprintf("/admin/payouts/%d", p.ID)}
		if len(p.Flags) > 0 {
			created.Title, created.Tone = "Payout created with flags", "warn"
		}
		ev = append(ev, created)
		for _, h := range history {
			item := TimelineEvent{At: h.CreatedAt, Kind: "decided", Title: auditTitle(h.Action) + " by " + h.Actor}
			if h.IP != "" {
				item.Detail = "From " + h.IP + "."
			}
			switch h.Action {
			case "payout.approve":
				item.Tone = "ok"
				if p.BatchMonth != nil {
					item.Detail += " Joins the " + *p.BatchMonth + " batch."
				}
			case "payout.reject":
				item.Tone, item.Detail = "bad", item.Detail+" Reason: "+p.RejectReason
			}
			ev = append(ev, item)
		}
		if p.PaidAt != nil {
			paid := TimelineEvent{At: *p.PaidAt, Kind: "paid", Title: "Paid", Tone: "ok"}
			if p.LedgerEntryID != nil {
				paid.Detail = fmt.Sprintf("Ledger credit %d (reference payout:%d), no fee.", *p.LedgerEntryID, p.ID)
			}
			if p.BatchMonth != nil {
				paid.Href = "/admin/batches/" + *p.BatchMonth
			}
			ev = append(ev, paid)
		}
	}
	for i := range emails {
		e := emails[i]
		at := e.CreatedAt
		if e.SentAt != nil {
			at = *e.SentAt
		}
		ev = append(ev, TimelineEvent{At: at, Kind: "email", Title: "Email",
			Detail: fmt.Sprintf("To %s, %s.", e.Recipient, e.Status), Href: fmt.Sprintf("/admin/outbox/%d", e.ID), Email: &emails[i]})
	}
	order := map[string]int{"invited": 0, "reminded": 1, "clicks": 1, "joined": 2, "earning": 3, "qualified": 4, "flagged": 5, "decided": 6, "paid": 7, "email": 8}
	slices.SortStableFunc(ev, func(a, b TimelineEvent) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(order[a.Kind], order[b.Kind]))
	})
	return ev
}

// auditTitle names a payout's audited action.
func auditTitle(action string) string {
	switch action {
	case "payout.approve":
		return "Approved"
	case "payout.reject":
		return "Rejected"
	case "payout.pay":
		return "Paid"
	}
	return action
}

// ReferrerInvitation is one of a referrer's invitations, with its program.
type ReferrerInvitation struct {
	Invitation  `gorm:"embedded"`
	ProgramName string
	ProgramSlug string
}

// ReferrerPage is one referrer: who they are, their invitations, and the counts of
// their friends and payouts (the lists themselves are pages of AdminReferrals and
// ReviewQueue filtered to them).
type ReferrerPage struct {
	User        User
	Invitations []ReferrerInvitation
	// Decisions counts their payouts by status; Rejections are the rejected ones, with
	// reasons and flags, the latest first.
	Decisions  map[PayoutStatus]int64
	Rejections []PastDecision
	Friends    int64
}

// Referrer loads freelancer id for the referrer page; staff and unknown ids answer
// ErrNotFound.
func (s *Store) Referrer(ctx context.Context, id int64) (ReferrerPage, error) {
	db := s.db.WithContext(ctx)
	var p ReferrerPage
	if err := db.Where("role = ?", RoleFreelancer).Take(&p.User, id).Error; err != nil {
		return p, notFound(err)
	}
	err := db.Table("invitations").Select("invitations.*, pr.name AS program_name, pr.slug AS program_slug").
		Joins("JOIN programs pr ON pr.id = invitations.program_id").Where("invitations.referrer_id = ?", id).
		Order("invitations.invited_at, invitations.id").Find(&p.Invitations).Error
	if err != nil {
		return p, fmt.Errorf("invitations of %d: %w", id, err)
	}
	if err := db.Model(&Referral{}).Where("referrer_id = ?", id).Count(&p.Friends).Error; err != nil {
		return p, err
	}
	var counts []struct {
		Status PayoutStatus
		N      int64
	}
	if err := db.Model(&Payout{}).Select("status, COUNT(*) AS n").Where("referrer_id = ?", id).Group("status").Find(&counts).Error; err != nil {
		return p, err
	}
	p.Decisions = map[PayoutStatus]int64{}
	for _, c := range counts {
		p.Decisions[c.Status] = c.N
	}
	p.Rejections, err = s.PastRejections(ctx, id, 0)
	return p, err
}
