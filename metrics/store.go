package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"referrals/jobs"
	"referrals/models"
)

// gaugeTTL is how long figures read from the database are served before a scrape reads
// them again: scrapes from several Prometheus servers (or a person reloading) cost one
// set of queries, and a request never pays for them.
const gaugeTTL = 10 * time.Second

// gaugeTimeout bounds the queries of one scrape.
const gaugeTimeout = 5 * time.Second

// Watch adds the database's figures: its connection pool's statistics (go_sql_*), and
// the payouts, outbox, webhook deliveries, ledger and job queue read on scrape, at most
// every gaugeTTL.
func (m *Metrics) Watch(store *models.Store, log *slog.Logger) {
	m.registry.MustRegister(
		collectors.NewDBStatsCollector(store.DB(), "referrals"),
		&storeCollector{store: store, log: log},
	)
}

var (
	payoutsDesc = prometheus.NewDesc("referrals_payouts",
		"Payouts by status.", []string{"status"}, nil)
	payoutCentsDesc = prometheus.NewDesc("referrals_payouts_amount_cents",
		"What the payouts of each status add up to, in cents.", []string{"status"}, nil)
	outboxDesc = prometheus.NewDesc("referrals_outbox",
		"Emails in the outbox by delivery status.", []string{"status"}, nil)
	webhooksDesc = prometheus.NewDesc("referrals_webhook_deliveries",
		"Webhook deliveries (one event to one endpoint) by status; pending is the backlog.", []string{"status"}, nil)
	ledgerEntriesDesc = prometheus.NewDesc("referrals_ledger_entries",
		"Entries in the ledger.", nil, nil)
	ledgerCentsDesc = prometheus.NewDesc("referrals_ledger_total_cents",
		"What the ledger adds up to (amounts less fees), in cents: every credit ever paid.", nil, nil)
	jobsDesc = prometheus.NewDesc("referrals_jobs",
		"Jobs in the queue's table by kind and state (finished ones stay a day).", []string{"kind", "state"}, nil)
	gaugeErrorDesc = prometheus.NewDesc("referrals_gauges_up",
		"1 when the last reading of the database's figures succeeded, 0 when it failed.", nil, nil)
)

// storeCollector reads the database's figures on scrape and keeps them gaugeTTL.
type storeCollector struct {
	store *models.Store
	log   *slog.Logger

	mu     sync.Mutex
	readAt time.Time
	gauges models.Gauges
	jobs   []jobs.JobCount
	ok     bool
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{payoutsDesc, payoutCentsDesc, outboxDesc, webhooksDesc, ledgerEntriesDesc, ledgerCentsDesc, jobsDesc, gaugeErrorDesc} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.readAt) >= gaugeTTL {
		c.read()
	}
	up := 0.0
	if c.ok {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(gaugeErrorDesc, prometheus.GaugeValue, up)
	if !c.ok {
		return
	}
	for _, s := range models.PayoutStatuses() {
		t := c.gauges.Payouts[s]
		ch <- prometheus.MustNewConstMetric(payoutsDesc, prometheus.GaugeValue, float64(t.Count), string(s))
		ch <- prometheus.MustNewConstMetric(payoutCentsDesc, prometheus.GaugeValue, float64(t.Cents), string(s))
	}
	for _, s := range models.EmailStatuses() {
		ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(c.gauges.Emails[s]), string(s))
	}
	for _, s := range models.WebhookDeliveryStatuses() {
		ch <- prometheus.MustNewConstMetric(webhooksDesc, prometheus.GaugeValue, float64(c.gauges.Webhooks[s]), string(s))
	}
	ch <- prometheus.MustNewConstMetric(ledgerEntriesDesc, prometheus.GaugeValue, float64(c.gauges.LedgerEntries))
	ch <- prometheus.MustNewConstMetric(ledgerCentsDesc, prometheus.GaugeValue, float64(c.gauges.LedgerCents))
	for _, j := range c.jobs {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(j.N), j.Kind, j.State)
	}
}

// read queries the figures; on failure the last good ones are kept but not served, and
// referrals_gauges_up says so.
func (c *storeCollector) read() {
	ctx, cancel := context.WithTimeout(context.Background(), gaugeTimeout)
	defer cancel()
	c.readAt = time.Now()
	g, err := c.store.Gauges(ctx)
	var js []jobs.JobCount
	if err == nil {
		js, err = jobs.Counts(ctx, c.store.DB())
	}
	if err != nil {
		c.ok = false
		c.log.Warn("metrics: reading the database's figures failed", "error", err)
		return
	}
	c.gauges, c.jobs, c.ok = g, js, true
}
