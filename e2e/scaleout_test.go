//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"referrals/handlers"
	"referrals/jobs"
	"referrals/jobs/jobstest"
	"referrals/models"
)

// The scale-out run: three `referrals serve` processes on one PostgreSQL database behind
// HAProxy with deploy/haproxy.cfg, as the README describes, under mixed load (dashboards
// of 50 signed-in referrers, signed earnings batches) for E2E_SCALEOUT_SECONDS (default
// 60). A third of the way in one instance gets SIGTERM and is started again; two thirds
// in another gets SIGKILL. No request may fail but those in flight at the kill; sessions
// hold on every instance; every event is counted once; every email goes out once.

const (
	scaleoutReferrers   = 50
	scaleoutFriends     = 20
	scaleoutWebhookKey  = "scaleout-webhook-secret-of-at-least-32-bytes"
	scaleoutBatchEvents = 25
	scaleoutEventCents  = 2500
)

// instance is one serve process behind the balancer.
type instance struct {
	addr, metrics string
	cmd           *exec.Cmd
	stderr        *lockedBuffer
	exited        chan struct{}
}

func startInstance(t *testing.T, env []string, addr, metricsAddr string) *instance {
	t.Helper()
	in := &instance{addr: addr, metrics: metricsAddr, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	in.cmd = exec.Command(binary(t), "serve")
	in.cmd.Env = append(slices.Clone(env), "ADDR="+addr, "METRICS_ADDR="+metricsAddr)
	in.cmd.Stderr = in.stderr
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { in.cmd.Wait(); close(in.exited) }()
	t.Cleanup(func() {
		in.cmd.Process.Kill()
		<-in.exited
		if strings.Contains(in.stderr.String(), "panic") {
			t.Errorf("instance %s panicked:\n%s", addr, in.stderr)
		}
	})
	return in
}

// requestLog is what one request of the load did.
type requestLog struct {
	kind       string // "dashboard" or "batch"
	start, end time.Time
	status     int
	err        error
}

func (r requestLog) failed() bool {
	return r.err != nil || r.status != http.StatusOK
}

func TestThreeInstancesBehindHAProxyServeThroughARestartAndAKill(t *testing.T) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		if haproxy, err = exec.LookPath("/usr/sbin/haproxy"); err != nil {
			t.Fatal("haproxy is not installed (apt-get install haproxy; .ci/run does)")
		}
	}
	duration := 60 * time.Second
	if s := os.Getenv("E2E_SCALEOUT_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("E2E_SCALEOUT_SECONDS=%q", s)
		}
		duration = time.Duration(n) * time.Second
	}
	ctx := context.Background()
	pg := startPrivatePostgres(t)
	smtp := jobstest.StartSMTP(t)
	env := []string{
		"DATABASE_URL=" + pg.url(), "SESSION_SECRET=scaleout-session-secret-of-at-least-32-bytes",
		"WEBHOOK_SECRET=" + scaleoutWebhookKey, "SMTP_URL=" + smtp.URL(), "BASE_URL=https://referrals.example.com",
		"TRUSTED_PROXIES=127.0.0.1/32", "LOG_LEVEL=warn", "PATH=" + os.Getenv("PATH"),
		"WEBHOOK_ALLOW_PRIVATE=1", // the receiver below is on loopback
	}
	referrals(t, env, "migrate")

	// The people, made through the rules on the wall clock: a program open for 90 more
	// days, 50 invited referrers, 20 friends who signed up through the first 20.
	queue, err := jobs.NewQueue(models.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	store, err := models.Open(ctx, models.Options{DatabaseURL: pg.url(), Jobs: queue, AllowPrivateWebhooks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.CreateProgram(ctx, models.CLIActor(), models.ProgramInput{
		Slug: "customer-service", Name: "Customer Service referrals", Deadline: time.Now().AddDate(0, 0, 90).Format("2006-01-02"),
	}); err != nil {
		t.Fatal(err)
	}
	// The marketplace's webhook receiver: it counts each webhook-id it is sent.
	var hookMu sync.Mutex
	hooks := map[string]int{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hookMu.Lock()
		hooks[r.Header.Get("webhook-id")]++
		hookMu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	if _, err := store.CreateWebhookEndpoint(ctx, models.CLIActor(), models.WebhookInput{
		URL: receiver.URL + "/hooks", Events: []string{string(models.EventReferralRegistered), string(models.EventReferralQualified)},
	}); err != nil {
		t.Fatal(err)
	}
	referrers := make([]string, scaleoutReferrers)
	for i := range referrers {
		referrers[i] = fmt.Sprintf("referrer%02d@example.com", i)
		if _, err := store.CreateUser(ctx, models.NewUser{Email: referrers[i], Name: fmt.Sprintf("Referrer %02d", i),
			Password: models.DemoPassword, Country: "US", TopRated: true}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.InviteProgram(ctx, models.CLIActor(), "customer-service"); err != nil {
		t.Fatal(err)
	}
	friends := make([]string, scaleoutFriends)
	for i := range friends {
		u, err := store.UserByEmail(ctx, referrers[i])
		if err != nil {
			t.Fatal(err)
		}
		elig, err := store.Eligibilities(ctx, u.ID)
		if err != nil || len(elig) != 1 || elig[0].Invitation == nil {
			t.Fatalf("%s: %+v, %v", referrers[i], elig, err)
		}
		friends[i] = fmt.Sprintf("friend%02d@example.com", i)
		res, err := store.SignUpFriend(ctx, models.FriendSignup{Name: fmt.Sprintf("Friend %02d", i), Email: friends[i],
			Password: models.DemoPassword, Country: "US", Code: elig[0].Invitation.Code, IP: fmt.Sprintf("198.18.0.%d", i+1)})
		if err != nil || res.Referral == nil {
			t.Fatalf("sign up %s: %+v, %v", friends[i], res, err)
		}
	}

	// Three instances and the balancer, configured by deploy/haproxy.cfg as it is.
	apps := make([]*instance, 3)
	for i := range apps {
		apps[i] = startInstance(t, env, freeAddr(t), freeAddr(t))
	}
	for _, in := range apps {
		waitFor(t, 60*time.Second, "an instance to be ready", func() bool { return statusOf("http://"+in.addr+"/readyz") == http.StatusOK })
	}
	lbAddr := freeAddr(t)
	lb := exec.Command(haproxy, "-db", "-f", filepath.Join("..", "deploy", "haproxy.cfg"))
	lb.Env = append(os.Environ(), "REFERRALS_LB_ADDR="+lbAddr, "REFERRALS_APP1="+apps[0].addr, "REFERRALS_APP2="+apps[1].addr, "REFERRALS_APP3="+apps[2].addr)
	lbLog := &lockedBuffer{}
	lb.Stdout, lb.Stderr = lbLog, lbLog
	if err := lb.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lb.Process.Kill(); lb.Wait() })
	base := "http://" + lbAddr
	waitFor(t, 30*time.Second, "the balancer", func() bool { return statusOf(base+"/readyz") == http.StatusOK })
	time.Sleep(3 * time.Second) // every instance passes its first health checks

	// Sign the referrers in through the balancer: each session is made by one instance
	// and then used on all three.
	clients := make([]*http.Client, scaleoutReferrers)
	var signIns sync.WaitGroup
	sem := make(chan struct{}, 6)
	for i := range clients {
		signIns.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			clients[i] = httpSignIn(t, base, referrers[i])
		})
	}
	signIns.Wait()

	var (
		mu      sync.Mutex
		logs    []requestLog
		results = map[string][]string{} // event id -> the statuses it was answered with
		failed  [][]byte                // batches to send again after the load
	)
	record := func(r requestLog) {
		mu.Lock()
		logs = append(logs, r)
		mu.Unlock()
	}
	postBatch := func(body []byte) requestLog {
		r := requestLog{kind: "batch", start: time.Now()}
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/earnings", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(handlers.SignatureHeader, handlers.Sign(scaleoutWebhookKey, time.Now(), body))
		res, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
		r.end, r.err = time.Now(), err
		if err != nil {
			return r
		}
		defer res.Body.Close()
		r.status = res.StatusCode
		var out struct {
			Results []struct{ ID, Status string }
		}
		if res.StatusCode == http.StatusOK {
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
				r.err = err
				return r
			}
			mu.Lock()
			for _, e := range out.Results {
				results[e.ID] = append(results[e.ID], e.Status)
			}
			mu.Unlock()
		}
		return r
	}

	loadCtx, stopLoad := context.WithTimeout(ctx, duration)
	defer stopLoad()
	var load sync.WaitGroup
	for i, client := range clients {
		load.Go(func() {
			for loadCtx.Err() == nil {
				r := requestLog{kind: "dashboard", start: time.Now()}
				res, err := client.Get(base + "/dashboard")
				r.err = err
				if err == nil {
					body, _ := io.ReadAll(res.Body)
					res.Body.Close()
					r.status = res.StatusCode
					if r.status == http.StatusOK && !strings.Contains(string(body), fmt.Sprintf("Referrer %02d", i)) {
						r.status = 0 // someone else's dashboard, or none
					}
				}
				r.end = time.Now()
				record(r)
				time.Sleep(time.Duration(300+rand.IntN(400)) * time.Millisecond)
			}
		})
	}
	for w := range 2 {
		load.Go(func() {
			for n := 0; loadCtx.Err() == nil; n++ {
				events := make([]map[string]any, scaleoutBatchEvents)
				for k := range events {
					events[k] = map[string]any{"id": fmt.Sprintf("ev_%d_%d_%d", w, n, k), "freelancer_email": friends[rand.IntN(len(friends))],
						"amount_cents": scaleoutEventCents, "currency": "USD", "category": "Customer Service", "client_id": fmt.Sprintf("cl_%d", k%5),
						"occurred_at": time.Now().UTC().Format(time.RFC3339)}
				}
				body, _ := json.Marshal(map[string]any{"events": events})
				r := postBatch(body)
				record(r)
				if r.failed() {
					mu.Lock()
					failed = append(failed, body)
					mu.Unlock()
				}
				time.Sleep(time.Duration(200+rand.IntN(200)) * time.Millisecond)
			}
		})
	}

	// A third of the way: SIGTERM the first instance, wait for it to exit, start it again.
	started := time.Now()
	time.Sleep(duration / 3)
	termAt := time.Now()
	apps[0].cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-apps[0].exited:
	case <-time.After(40 * time.Second):
		t.Fatal("the instance did not stop after SIGTERM")
	}
	if code := apps[0].cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("after SIGTERM the instance exited with %d:\n%s", code, apps[0].stderr)
	}
	stoppedIn := time.Since(termAt)
	apps[0] = startInstance(t, env, apps[0].addr, apps[0].metrics)
	// Two thirds of the way: SIGKILL the second instance; it stays down.
	time.Sleep(time.Until(started.Add(2 * duration / 3)))
	killAt := time.Now()
	apps[1].cmd.Process.Signal(syscall.SIGKILL)
	load.Wait()
	elapsed := time.Since(started)

	// No request failed but those in flight when the second instance was killed.
	var inFlightAtKill, failedAtKill, dashboards, batches int
	var latencies []time.Duration
	for _, r := range logs {
		inFlight := r.start.Before(killAt) && r.end.After(killAt)
		if inFlight {
			inFlightAtKill++
		}
		if r.failed() {
			if inFlight {
				failedAtKill++
			} else {
				t.Errorf("a %s request failed (status %d, %v) at %s, not in flight at the kill (%s)", r.kind, r.status, r.err,
					r.start.Sub(started).Round(time.Millisecond), killAt.Sub(started).Round(time.Millisecond))
			}
		}
		if r.kind == "dashboard" {
			dashboards++
			latencies = append(latencies, r.end.Sub(r.start))
		} else {
			batches++
		}
	}

	// The marketplace sends the failed batches again (signed anew): each event is then
	// counted once, whether or not its first delivery got through.
	for _, body := range failed {
		if r := postBatch(body); r.failed() {
			t.Fatalf("resending a batch: %d %v", r.status, r.err)
		}
	}
	var accepted, events int
	for id, statuses := range results {
		events++
		n := 0
		for _, s := range statuses {
			if s == "accepted" {
				n++
			} else if s != "duplicate" {
				t.Errorf("event %s answered %s", id, s)
			}
		}
		if n != 1 {
			t.Errorf("event %s was accepted %d times (%v)", id, n, statuses)
		}
		accepted += n
	}
	var stored, counted, sum int64
	db := store.DB()
	if err := db.QueryRow("SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM earnings WHERE status = 'counted'").Scan(&stored, &sum); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COALESCE(SUM(counted_cents), 0) FROM referrals").Scan(&counted); err != nil {
		t.Fatal(err)
	}
	if int(stored) != accepted || sum != int64(accepted)*scaleoutEventCents || counted != sum {
		t.Errorf("%d events accepted; stored %d counted earnings of %d cents; referrals count %d cents", accepted, stored, sum, counted)
	}

	// Every email goes out once: wait for the queue to drain on the instances still up
	// (an email claimed by the killed instance stays "sending": it is never sent twice).
	waitFor(t, 60*time.Second, "the outbox to be delivered", func() bool {
		var queued int64
		db.QueryRow("SELECT COUNT(*) FROM emails WHERE status = 'queued'").Scan(&queued)
		return queued == 0
	})
	var sent, sending int64
	db.QueryRow("SELECT COUNT(*) FROM emails WHERE status = 'sent'").Scan(&sent)
	db.QueryRow("SELECT COUNT(*) FROM emails WHERE status = 'sending'").Scan(&sending)
	seen := map[string]int{}
	for _, m := range smtp.Messages() {
		seen[m.MessageID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("email %s arrived %d times", id, n)
		}
	}
	if int64(len(seen)) < sent || int64(len(seen)) > sent+sending {
		t.Errorf("%d distinct emails arrived; %d are marked sent, %d sending", len(seen), sent, sending)
	}

	// Every webhook goes out once: the friends' registrations and qualifications, each
	// with its own webhook-id (a delivery caught by the kill stays pending: never sent twice).
	waitFor(t, 60*time.Second, "the webhooks to be delivered", func() bool {
		var pending int64
		db.QueryRow("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending' AND attempts = 0").Scan(&pending)
		return pending == 0
	})
	var delivered, hooksPending int64
	db.QueryRow("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'").Scan(&delivered)
	db.QueryRow("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'").Scan(&hooksPending)
	hookMu.Lock()
	for id, n := range hooks {
		if n != 1 {
			t.Errorf("webhook %s arrived %d times", id, n)
		}
	}
	received := int64(len(hooks))
	hookMu.Unlock()
	if received < delivered || received > delivered+hooksPending || delivered < scaleoutFriends {
		t.Errorf("%d distinct webhooks arrived; %d are marked delivered, %d pending", received, delivered, hooksPending)
	}

	// Sessions made on one instance were good on the others: the restarted instance and
	// the one left untouched both served dashboards.
	for _, in := range []*instance{apps[0], apps[2]} {
		_, body := fetch(t, "http://"+in.metrics+"/metrics")
		if !strings.Contains(body, `referrals_http_requests_total{method="GET",route="/dashboard",status="200"}`) {
			t.Errorf("instance %s served no dashboard", in.addr)
		}
	}

	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		return latencies[int(float64(len(latencies)-1)*p)].Round(time.Millisecond)
	}
	t.Logf("scale-out: %d requests in %s = %.0f req/s (%d dashboards, p50 %s, p99 %s; %d batches = %.0f events/s); "+
		"SIGTERM at %s, stopped in %s, restarted; SIGKILL at %s: %d requests in flight, %d failed; %d events counted once; %d emails and %d webhooks sent once",
		len(logs), elapsed.Round(time.Second), float64(len(logs))/elapsed.Seconds(), dashboards, pct(0.5), pct(0.99),
		batches, float64(accepted)/elapsed.Seconds(), termAt.Sub(started).Round(time.Second), stoppedIn.Round(100*time.Millisecond),
		killAt.Sub(started).Round(time.Second), inFlightAtKill, failedAtKill, accepted, len(seen), received)
	fmt.Printf("scale-out throughput: %.0f req/s through HAProxy to 3 instances (%d dashboards p50 %s p99 %s, %.0f events/s)\n",
		float64(len(logs))/elapsed.Seconds(), dashboards, pct(0.5), pct(0.99), float64(accepted)/elapsed.Seconds())
	if t.Failed() {
		t.Logf("haproxy:\n%s", lbLog)
	}
}

// fetch gets u and returns its status and body.
func fetch(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}
