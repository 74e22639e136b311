package models

import (
	"context"
	"fmt"
)

// Gauges are the figures an operator watches about the money and the outbox, read on a
// metrics scrape (the caller caches them): payouts, emails and webhook deliveries from
// the counter rows the database keeps (payout_counts, email_counts,
// webhook_delivery_counts), so a scrape reads a few rows whatever the traffic.
type Gauges struct {
	// Payouts is how many payouts are in each status, and their amounts.
	Payouts map[PayoutStatus]PayoutTotal
	// Emails is how many emails are in each delivery status.
	Emails map[EmailStatus]int64
	// Webhooks is how many webhook deliveries (one event to one endpoint) are in each
	// status: pending is the backlog.
	Webhooks map[WebhookDeliveryStatus]int64
	// LedgerEntries and LedgerCents are the ledger's size and its total (amounts less
	// fees): what has been credited to freelancers, ever.
	LedgerEntries int64
	LedgerCents   int64
}

// PayoutTotal is a number of payouts and what they add up to.
type PayoutTotal struct {
	Count int64
	Cents int64
}

// Gauges reads the operator's figures in four grouped queries; every count is exact.
func (s *Store) Gauges(ctx context.Context) (Gauges, error) {
	db := s.db.WithContext(ctx)
	g := Gauges{Payouts: map[PayoutStatus]PayoutTotal{}, Emails: map[EmailStatus]int64{}, Webhooks: map[WebhookDeliveryStatus]int64{}}
	var payouts []struct {
		Status PayoutStatus
		N      int64
		Cents  int64
	}
	if err := db.Table("payout_counts").Select("status, SUM(n) AS n, SUM(cents) AS cents").Group("status").Having("SUM(n) <> 0").Find(&payouts).Error; err != nil {
		return g, fmt.Errorf("payout totals: %w", err)
	}
	for _, p := range payouts {
		g.Payouts[p.Status] = PayoutTotal{Count: p.N, Cents: p.Cents}
	}
	var emails []struct {
		Status EmailStatus
		N      int64
	}
	if err := db.Table("email_counts").Select("status, SUM(n) AS n").Group("status").Having("SUM(n) <> 0").Find(&emails).Error; err != nil {
		return g, fmt.Errorf("outbox counts: %w", err)
	}
	for _, e := range emails {
		g.Emails[e.Status] = e.N
	}
	var hooks []struct {
		Status WebhookDeliveryStatus
		N      int64
	}
	if err := db.Table("webhook_delivery_counts").Select("status, SUM(n) AS n").Group("status").Having("SUM(n) <> 0").Find(&hooks).Error; err != nil {
		return g, fmt.Errorf("webhook delivery counts: %w", err)
	}
	for _, h := range hooks {
		g.Webhooks[h.Status] = h.N
	}
	err := db.Model(&LedgerEntry{}).Select("COUNT(*), COALESCE(SUM(amount_cents - fee_cents), 0)").Row().Scan(&g.LedgerEntries, &g.LedgerCents)
	if err != nil {
		return g, fmt.Errorf("ledger total: %w", err)
	}
	return g, nil
}
