package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"referrals/handlers"
	"referrals/metrics"
	"referrals/models"
	"referrals/models/modelstest"
)

// scrape fetches /metrics from the metrics handler as Prometheus would and parses it.
func scrape(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// value is the value of the series of family with exactly labels (name=value pairs),
// and whether there is one.
func value(families map[string]*dto.MetricFamily, family string, labels ...string) (float64, bool) {
	f := families[family]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if len(m.GetLabel())*2 != len(labels) {
			continue
		}
		match := true
		for i := 0; i < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		case m.Untyped != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

func TestMetricsCountWhatHappened(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		m := metrics.New()
		m.Watch(db.Store, slog.New(slog.NewTextHandler(io.Discard, nil)))
		a := newApp(t, db, func(o *handlers.Options) { o.Metrics = m })

		// Two payouts: Sam's is approved and paid (one ledger credit), Priya's waits.
		sam := db.PendingPayoutFixture(t, modelstest.PendingPayout{ReferrerEmail: "maria@example.com", FriendEmail: "sam@example.com"})
		db.PendingPayoutFixture(t, modelstest.PendingPayout{ReferrerEmail: "maria@example.com", FriendEmail: "priya@example.com", FriendName: "Priya Patel"})
		var ref models.Referral
		ref.ID = sam.Referral
		db.FixturePayout(t, ref, models.PayoutPaid)

		b := a.browser(t)
		for range 3 {
			b.get("/login")
		}
		b.get("/r/SECRETCODE1") // an unknown code: the page says so
		b.get("/no/such/page")
		b.post("/login", url.Values{"email": {"maria@example.com"}, "password": {"wrong password"}}, true)
		for range 11 { // the eleventh link asked for from one address is refused
			b.post("/login/link", url.Values{"email": {"nobody@example.com"}}, true)
		}

		f := scrape(t, m)
		for _, c := range []struct {
			family string
			labels []string
			want   float64
		}{
			{"referrals_http_requests_total", []string{"method", "GET", "route", "/login", "status", "200"}, 3},
			{"referrals_http_requests_total", []string{"method", "POST", "route", "/login", "status", "422"}, 1},
			{"referrals_http_requests_total", []string{"method", "POST", "route", "/login/link", "status", "303"}, 10},
			{"referrals_http_requests_total", []string{"method", "POST", "route", "/login/link", "status", "429"}, 1},
			{"referrals_http_request_duration_seconds", []string{"route", "/login"}, 4},
			{"referrals_signin_failures_total", nil, 1},
			{"referrals_rate_limited_total", []string{"route", "/login/link"}, 1},
			{"referrals_http_requests_in_flight", nil, 0},
			{"referrals_http_requests_queued", nil, 0},
			{"referrals_payouts", []string{"status", "paid"}, 1},
			{"referrals_payouts", []string{"status", "pending_review"}, 1},
			{"referrals_payouts", []string{"status", "approved"}, 0},
			{"referrals_payouts_amount_cents", []string{"status", "paid"}, 10000},
			{"referrals_ledger_entries", nil, 1},
			{"referrals_ledger_total_cents", nil, 10000},
			{"referrals_outbox", []string{"status", "queued"}, float64(db.Count(t, "emails", "status = 'queued'"))},
			{"referrals_outbox", []string{"status", "failed"}, 0},
			{"referrals_webhook_deliveries", []string{"status", "pending"}, float64(db.Count(t, "webhook_deliveries", "status = 'pending'"))},
			{"referrals_webhook_deliveries", []string{"status", "delivered"}, 0},
			{"referrals_jobs", []string{"kind", "deliver_email", "state", "available"}, float64(db.Count(t, "river_job", "kind = 'deliver_email' AND state = 'available'"))},
			{"referrals_gauges_up", nil, 1},
			{"go_sql_max_open_connections", []string{"db_name", "referrals"}, float64(db.Store.MaxConnections())},
		} {
			got, ok := value(f, c.family, c.labels...)
			if !ok || got != c.want {
				t.Errorf("%s%v = %v (present %v), want %v", c.family, c.labels, got, ok, c.want)
			}
		}
		if n, _ := value(f, "referrals_outbox", "status", "queued"); n < 5 {
			t.Errorf("only %v queued emails: the fixtures queue more", n)
		}
		// Routes are patterns: no series per URL, and nothing a client typed.
		if v, _ := value(f, "referrals_http_request_duration_seconds", "route", "/r/:code"); v != 1 {
			t.Error("GET /r/CODE is not counted under its pattern /r/:code")
		}
		if n, _ := value(f, "referrals_jobs", "kind", "deliver_email", "state", "available"); n < 5 {
			t.Errorf("only %v email jobs waiting: the fixtures queue more", n)
		}
		for name, family := range f {
			for _, s := range family.GetMetric() {
				for _, l := range s.GetLabel() {
					if strings.Contains(l.GetValue(), "SECRETCODE1") || strings.Contains(l.GetValue(), "no/such") {
						t.Errorf("%s has a label from the raw path: %s=%q", name, l.GetName(), l.GetValue())
					}
				}
			}
		}
		for _, family := range []string{"go_goroutines", "go_memstats_alloc_bytes", "go_gc_duration_seconds", "go_sql_open_connections", "process_resident_memory_bytes"} {
			if f[family] == nil {
				t.Errorf("no %s family", family)
			}
		}
	})
}

func TestMetricsAndProfilesAreNotOnThePublicListener(t *testing.T) {
	db := modelstest.SQLite(t)
	a := newApp(t, db)
	b := a.browser(t)
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap?debug=1"} {
		if res := b.get(path); res.status == http.StatusOK || strings.Contains(res.body, "go_goroutines") || strings.Contains(res.body, "goroutine") {
			t.Errorf("GET %s on the public listener: %d %q", path, res.status, res.body)
		}
	}
	srv := httptest.NewServer(metrics.New().Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/debug/pprof/heap?debug=1")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("pprof on the metrics listener: %v, %v", res, err)
	}
	res.Body.Close()
}

// syncBuffer collects log lines written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestTheLogHasOneLinePerRequestAndNoSecrets(t *testing.T) {
	db := modelstest.SQLite(t)
	logs := &syncBuffer{}
	sessionSecret := string(modelstest.SessionSecret) // it keys the emailed links too
	webhookSecret := "log-test-webhook-secret-0123456789abcdef"
	a := newApp(t, db, func(o *handlers.Options) {
		o.Log = slog.New(slog.NewJSONHandler(logs, nil))
		o.WebhookSecret = webhookSecret
	})
	maria := a.createUser(t, models.NewUser{Email: "maria@example.com", Password: "maria's secret passphrase"})
	b := a.browser(t)
	b.post("/login", url.Values{"email": {"maria@example.com"}, "password": {"a wrong guess of hers"}}, true)
	b.signIn("maria@example.com", "maria's secret passphrase", "/dashboard")
	b.get("/dashboard")
	b.post("/logout", nil, true)
	// A sign-in link: asked for, opened, used.
	b.post("/login/link", url.Values{"email": {"maria@example.com"}}, true)
	written := db.WrittenEmails(t, "kind = 'sign_in_link'")
	if len(written) != 1 {
		t.Fatalf("%d sign-in link emails", len(written))
	}
	body := written[0].Content.Text
	link := regexp.MustCompile(`/login/link/\S+`).FindString(body)
	token := strings.TrimPrefix(link, "/login/link/")
	if token == "" {
		t.Fatalf("no sign-in link in %q", body)
	}
	b.get(link)
	b.post(link, nil, true)

	out := logs.String()
	for what, secret := range map[string]string{
		"the password": "maria's secret passphrase", "a wrong password": "a wrong guess of hers",
		"the session secret": sessionSecret, "the webhook secret": webhookSecret, "a sign-in link token": token,
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %s", what)
		}
	}
	for _, c := range b.http.Jar.Cookies(mustParse(a.server.URL)) {
		if len(c.Value) > 8 && strings.Contains(out, c.Value) {
			t.Errorf("the log holds the %s cookie", c.Name)
		}
	}
	// One line per request, each with its id, route, status, duration and user.
	var dashboard string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, `"route":"/dashboard"`) {
			if dashboard != "" {
				t.Errorf("two lines for one request:\n%s\n%s", dashboard, line)
			}
			dashboard = line
		}
	}
	for _, field := range []string{`"msg":"request"`, `"id":"`, `"method":"GET"`, `"path":"/dashboard"`, `"status":200`, `"duration_ms":`, fmt.Sprintf(`"user":%d`, maria.ID)} {
		if !strings.Contains(dashboard, field) {
			t.Errorf("the dashboard's log line lacks %s: %s", field, dashboard)
		}
	}
	if !strings.Contains(out, `"route":"/login/link/:token","path":"/login/link/[hidden]"`) {
		t.Errorf("the sign-in link's requests are not logged with the token hidden:\n%s", out)
	}
}

func mustParse(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u
}

// holdLock takes a lock that recording earnings needs and keeps it until the returned
// function is called: on PostgreSQL the users table, exclusively (even reading waits);
// on SQLite the write lock.
func holdLock(t *testing.T, db *modelstest.DB) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Store.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if db.Store.Dialect() == models.Postgres {
		_, err = conn.ExecContext(ctx, "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
	} else {
		_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	}
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Error(err)
			}
			conn.Close()
		})
	}
	t.Cleanup(release)
	return release
}

func TestARequestPastItsDeadlineAnswers503AndFreesItsSlot(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		m := metrics.New()
		page, api := 1500*time.Millisecond, 4*time.Second
		a := newApp(t, db, func(o *handlers.Options) {
			o.MaxInFlight = 1
			o.Deadlines = handlers.Deadlines{Page: page, API: api}
			o.Metrics = m
		})
		a.referral(t)
		body := eventsBody(t, samEarning("ev_1", 12000))

		release := holdLock(t, db)
		// An API call needs the lock: it holds the only slot until its deadline.
		apiDone := make(chan response, 1)
		start := time.Now()
		go func() { apiDone <- a.signed(t, "/api/v1/earnings", body) }()
		waitFor(t, func() bool { v, _ := value(scrape(t, m), "referrals_http_requests_in_flight"); return v == 1 })
		// A page waits for the slot, and its deadline ends the wait.
		pageDone := make(chan response, 1)
		go func() { pageDone <- a.browser(t).get("/login") }()
		waitFor(t, func() bool { v, _ := value(scrape(t, m), "referrals_http_requests_queued"); return v == 1 })
		if res := <-pageDone; res.status != http.StatusServiceUnavailable || !strings.Contains(text(parse(t, res.body)), "took too long") {
			t.Errorf("a page past its deadline in the queue: %d %q, want 503", res.status, text(parse(t, res.body)))
		}
		res := <-apiDone
		if took := time.Since(start); res.status != http.StatusServiceUnavailable || took > api+3*time.Second {
			t.Errorf("an API call past its deadline: %d after %v (deadline %v), want 503 %s", res.status, took, api, res.body)
		}
		// The slot is free again while the lock is still held: a page that needs no
		// lock is served at once.
		if res := a.browser(t).get("/login"); res.status != http.StatusOK {
			t.Fatalf("after the 503s, GET /login: %d; the slot was not freed", res.status)
		}
		if db.Store.Dialect() == models.Postgres {
			// The database stopped waiting too: the cancelled statement waits for no lock.
			waitFor(t, func() bool {
				var waiting int64
				db.QueryRow(t, "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", []any{&waiting})
				return waiting == 0
			})
		}
		if n := db.Count(t, "earnings", ""); n != 0 {
			t.Errorf("%d earnings stored by the call that ran out of time", n)
		}
		release()
		if res := a.signed(t, "/api/v1/earnings", body); res.status != http.StatusOK {
			t.Errorf("once the lock is released, the same call: %d %s", res.status, res.body)
		}
		f := scrape(t, m)
		for _, route := range [][]string{{"POST", "/api/v1/earnings"}, {"GET", "/login"}} {
			if v, _ := value(f, "referrals_http_requests_total", "method", route[0], "route", route[1], "status", "503"); v != 1 {
				t.Errorf("503s of %s counted: %v", route[1], v)
			}
		}
		if v, _ := value(f, "referrals_http_requests_in_flight"); v != 0 {
			t.Errorf("in flight after all: %v", v)
		}
	})
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(end) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
