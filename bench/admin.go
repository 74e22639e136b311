package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// The admin console at the bench's scale: each list with the filters a reviewer uses,
// and the pages of one referral and one referrer, under 50 clients; and an export of
// every referral as CSV, with the server's memory watched while it streams.

// adminPage is one admin address the bench measures.
type adminPage struct {
	name, path string
}

// adminPages are the admin lists (with filters) and pages the bench measures. The seed
// makes friend i the referral i+1 of referrer i mod Referrers (user id 2 + that).
func adminPages(sc scale) []adminPage {
	return []adminPage{
		{"overview", "/admin"},
		{"queue (pending, oldest)", "/admin/payouts"},
		{"queue flag=fast sort=risk", "/admin/payouts?flag=fast&sort=risk"},
		{"queue flag=referrer_is_client", "/admin/payouts?flag=referrer_is_client&status=all"},
		{"queue status=all sort=newest", "/admin/payouts?status=all&sort=newest"},
		{"queue approved program=", "/admin/payouts?status=approved&program=customer-service"},
		{"queue q=whole email", "/admin/payouts?status=all&q=" + url.QueryEscape(referrerEmail(0))},
		{fmt.Sprintf("queue page %d", deepPage(sc)), fmt.Sprintf("/admin/payouts?status=approved&page=%d", deepPage(sc))},
		{"referrals", "/admin/referrals"},
		{"referrals qualified program=", "/admin/referrals?status=qualified&program=customer-service"},
		{"referrals q=whole email", "/admin/referrals?q=" + url.QueryEscape(friendEmail(sc.Friends-1))},
		{"audit", "/admin/audit"},
		{"audit action=", "/admin/audit?action=payout.approve"},
		{"outbox", "/admin/outbox"},
		{"outbox queued invitations", "/admin/outbox?status=queued&kind=invitation"},
		{"batches", "/admin/batches"},
		{"programs", "/admin/programs"},
		{"referral page", "/admin/referrals/1"},
		{"referrer page", "/admin/referrers/2"},
		{"webhooks", "/admin/webhooks"},
	}
}

// deepPage is a page of the approved payouts far from the first that exists at any
// scale: page 20 (25 a page), or the last page when there are fewer.
func deepPage(sc scale) int { return max(1, min(20, (sc.Approved+24)/25)) }

// adminResult is one admin page under load.
type adminResult struct {
	page adminPage
	load loadResult
	cpu  cpuCost
}

// exportResult is the streamed export of every referral.
type exportResult struct {
	rows     int
	bytes    int64
	took     time.Duration
	baseKiB  int64 // the server's resident memory before the export
	peakKiB  int64 // the most it held while streaming (sampled every 20 ms)
	errorMsg string
}

// adminPhaseDuration is how long each admin page is measured: shorter than the
// dashboard's, as there are many.
func adminPhaseDuration(d time.Duration) time.Duration { return max(d/2, 2*time.Second) }

// measureAdmin measures every admin page with 50 clients, then the referrals export.
func measureAdmin(ctx context.Context, srv *server, meter *cpuMeter, admin string, sc scale, d time.Duration) ([]adminResult, exportResult, error) {
	var out []adminResult
	for _, p := range adminPages(sc) {
		if err := expectPage(srv.url+p.path, admin, ""); err != nil {
			return out, exportResult{}, fmt.Errorf("%s: %w", p.name, err)
		}
		cpu := meter.read()
		r := adminResult{page: p, load: attack(ctx, srv.url+p.path, []string{admin}, adminPhaseDuration(d))}
		r.cpu = meter.since(cpu, r.load.requests)
		fmt.Fprintf(os.Stderr, "   admin %s, %d clients: %s; CPU per request: %s\n", p.name, clients, r.load, r.cpu)
		out = append(out, r)
		if err := ctx.Err(); err != nil {
			return out, exportResult{}, err
		}
	}
	exp := exportReferrals(ctx, srv, admin)
	fmt.Fprintf(os.Stderr, "   referrals.csv: %d rows, %.1f MB in %s; server RSS %d MB before, at most %d MB while streaming %s\n",
		exp.rows, float64(exp.bytes)/1e6, exp.took.Round(time.Millisecond), exp.baseKiB/1024, exp.peakKiB/1024, exp.errorMsg)
	return out, exp, nil
}

// exportReferrals downloads /admin/referrals.csv (every referral) and samples the
// server's resident memory while it streams.
func exportReferrals(ctx context.Context, srv *server, admin string) exportResult {
	var res exportResult
	time.Sleep(500 * time.Millisecond) // let the last phase's buffers go
	res.baseKiB = srv.rss()
	var peak atomic.Int64
	peak.Store(res.baseKiB)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if kib := srv.rss(); kib > peak.Load() {
					peak.Store(kib)
				}
			}
		}
	}()
	start := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.url+"/admin/referrals.csv", nil)
	req.Header.Set("Cookie", admin)
	client := &http.Client{Timeout: 10 * time.Minute}
	r, err := client.Do(req)
	if err == nil {
		defer r.Body.Close()
		counter := &countingReader{r: r.Body}
		sc := bufio.NewScanner(counter)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			res.rows++
		}
		err = sc.Err()
		res.bytes = counter.n
		if r.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", r.StatusCode)
		}
	}
	res.took = time.Since(start)
	close(done)
	res.peakKiB = peak.Load()
	res.rows-- // the header
	if err != nil {
		res.errorMsg = "(" + err.Error() + ")"
	}
	return res
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// rss is the server's resident memory now, in KiB (Linux VmRSS).
func (s *server) rss() int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(s.cmd.Process.Pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// adminBudget is the target: every admin page's p99 under 50 ms at 50 clients.
const adminBudget = 50 * time.Millisecond

// printAdminTable prints the admin pages of each run that measured them.
func printAdminTable(w io.Writer, rows []result) {
	for _, r := range rows {
		if len(r.admin) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nadmin console, %s at scale %g (%d clients, p99 budget %s):\n", r.dialect, r.scale, clients, ms(adminBudget))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "page\treq/s\tp50\tp99\terrors\tCPU/request\tbudget\t")
		for _, a := range r.admin {
			verdict := "met"
			if a.load.p99 >= adminBudget || a.load.errors > 0 {
				verdict = "NOT met"
			}
			fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%d\t%s\t%s\t\n", a.page.name, a.load.throughput, ms(a.load.p50), ms(a.load.p99), a.load.errors, a.cpu, verdict)
		}
		tw.Flush()
		e := r.export
		fmt.Fprintf(w, "referrals.csv: %d rows, %.1f MB in %s; server RSS %d MB before the export, at most %d MB while streaming %s\n",
			e.rows, float64(e.bytes)/1e6, e.took.Round(time.Millisecond), e.baseKiB/1024, e.peakKiB/1024, e.errorMsg)
	}
}

// seedAdminHistory writes what the approvals and sign-ups would have left behind for
// the admin lists: one audit event per approved payout, and the outbox's invitation
// per referrer and "friend joined" per friend (queued: the bench sends no email).
func seedAdminHistory(ctx context.Context, in inserter, sc scale, cal calendar) error {
	var events [][]any
	for i := range sc.Approved {
		events = append(events, []any{1, adminEmail, "payout.approve", fmt.Sprintf("payout:%d", i+1),
			fmt.Sprintf(`{"amount_cents":10000,"batch_month":%q,"referral_id":%d}`, cal.decided.Format("2006-01"), i+1), "127.0.0.1", cal.decided})
	}
	if err := in.insert(ctx, "audit_events", []string{"actor_id", "actor", "action", "target", "details", "ip", "created_at"}, events); err != nil {
		return err
	}
	cols := []string{"user_id", "recipient", "kind", "subject", "body_text", "dedupe_key", "status", "created_at"}
	var emails [][]any
	for i := range sc.Referrers {
		emails = append(emails, []any{i + 2, referrerEmail(i), "invitation", "Earn $100 for each friend you refer", "(seeded)",
			fmt.Sprintf("invitation:%d", i+1), "queued", cal.invited})
	}
	for i := range sc.Friends {
		referrer := i % sc.Referrers
		emails = append(emails, []any{referrer + 2, referrerEmail(referrer), "friend_joined", personName(i) + " joined through your invite", "(seeded)",
			fmt.Sprintf("friend_joined:%d", i+1), "queued", cal.signedUp(i)})
		if len(emails) >= 50_000 || i == sc.Friends-1 {
			if err := in.insert(ctx, "emails", cols, emails); err != nil {
				return err
			}
			emails = emails[:0]
		}
	}
	return seedWebhooks(ctx, in, sc, cal)
}

// seedWebhooks gives the webhooks list something to count: two endpoints that receive
// payout.approved, one that took every delivery and one disabled after a day of
// failures, with an event and a delivery to each per approved payout.
func seedWebhooks(ctx context.Context, in inserter, sc scale, cal calendar) error {
	at := cal.decided
	endpoints := [][]any{
		{"https://hooks.bench.test/referrals", `["payout.approved"]`, "whsec_" + strings.Repeat("A", 44), "active", nil, nil, "", at, at},
		{"https://old.bench.test/hook", `["payout.approved"]`, "whsec_" + strings.Repeat("B", 44), "disabled", at, at.Add(24 * time.Hour),
			"No delivery succeeded for a day (seeded).", at, at},
	}
	if err := in.insert(ctx, "webhook_endpoints", []string{"url", "events", "secret", "status", "failing_since", "disabled_at", "disabled_reason", "created_at", "updated_at"}, endpoints); err != nil {
		return err
	}
	var events [][]any
	for i := range sc.Approved {
		events = append(events, []any{fmt.Sprintf("msg_seed%026d", i+1), "payout.approved",
			fmt.Sprintf(`{"type":"payout.approved","data":{"payout_id":%d}}`, i+1), fmt.Sprintf("payout.approved:%d", i+1), at})
	}
	if err := in.insert(ctx, "webhook_events", []string{"message_id", "type", "payload", "dedupe_key", "created_at"}, events); err != nil {
		return err
	}
	// One statement per endpoint: PostgreSQL cannot type a parameter inside a CASE.
	for _, d := range []struct {
		status, endpoint, lastError string
		code                        int
		deliveredAt                 any
	}{{"delivered", "active", "", 200, at}, {"failed", "disabled", "HTTP 500", 500, nil}} {
		q := `INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts, last_attempt_at, last_status_code, last_error, give_up_at, delivered_at, created_at)
			SELECT ev.id, ep.id, ?, 1, ?, ?, ?, ?, ?, ? FROM webhook_events ev CROSS JOIN webhook_endpoints ep WHERE ep.status = ?`
		if _, err := in.db.ExecContext(ctx, placeholders(in.dialect, q), d.status, at, d.code, d.lastError, at.Add(24*time.Hour), d.deliveredAt, at, d.endpoint); err != nil {
			return fmt.Errorf("insert into webhook_deliveries: %w", err)
		}
	}
	return nil
}
