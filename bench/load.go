package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// clients is the number of concurrent clients of each closed-loop phase.
const clients = 50

// requestTimeout bounds every request of a load phase; a request that takes longer is
// an error.
const requestTimeout = 10 * time.Second

// loadResult sums up one load phase.
type loadResult struct {
	requests      uint64
	throughput    float64
	p50, p99, max time.Duration
	errors        int
	// firstErrors are a few of the distinct errors, for the report.
	firstErrors []string
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d requests, %.0f req/s, p50 %s, p99 %s, max %s, %d errors", r.requests, r.throughput, ms(r.p50), ms(r.p99), ms(r.max), r.errors)
}

// targeter sends GET url, rotating through the session cookies.
func targeter(url string, cookies []string) vegeta.Targeter {
	var next atomic.Uint64
	return func(t *vegeta.Target) error {
		i := next.Add(1)
		t.Method = http.MethodGet
		t.URL = url
		t.Header = http.Header{"Cookie": {cookies[i%uint64(len(cookies))]}}
		return nil
	}
}

// summarize reads an attack's results, stopping it early if ctx ends; any answer but 200
// (or none) is an error.
func summarize(ctx context.Context, attacker *vegeta.Attacker, results <-chan *vegeta.Result) loadResult {
	stop := context.AfterFunc(ctx, func() { attacker.Stop() })
	defer stop()
	var m vegeta.Metrics
	for res := range results {
		m.Add(res)
	}
	m.Close()
	r := loadResult{requests: m.Requests, throughput: m.Throughput, p50: m.Latencies.P50, p99: m.Latencies.P99, max: m.Latencies.Max}
	for code, n := range m.StatusCodes {
		if code != "200" {
			r.errors += n
		}
	}
	r.firstErrors = m.Errors[:min(5, len(m.Errors))]
	return r
}

// attack sends GET url as fast as 50 concurrent clients can (a closed loop: each client
// waits for its answer), for d or until ctx ends.
func attack(ctx context.Context, url string, cookies []string, d time.Duration) loadResult {
	attacker := vegeta.NewAttacker(vegeta.Workers(clients), vegeta.MaxWorkers(clients), vegeta.Connections(clients),
		vegeta.Redirects(vegeta.NoFollow), vegeta.Timeout(requestTimeout))
	return summarize(ctx, attacker, attacker.Attack(targeter(url, cookies), vegeta.Rate{Freq: 0}, d, url))
}

// alone is the median latency of GET url with one client, over n requests: the cost
// of the page itself, without queueing behind other requests.
func alone(url string, cookies []string, n int) (time.Duration, error) {
	var took []time.Duration
	for i := range n {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Cookie", cookies[i%len(cookies)])
		start := time.Now()
		res, err := httpClient.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET %s: status %d", url, res.StatusCode)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return took[len(took)/2], nil
}

// loadTest seeds a database at rc's scale, serves it, and sends GET /dashboard at a
// steady rate for d (an open loop: requests go out on schedule whether or not earlier
// ones have answered), as 50 signed-in referrers. Any error fails it.
func loadTest(ctx context.Context, rc runConfig, d time.Duration, rate int) error {
	fmt.Fprintf(os.Stderr, "== load test: %s at scale %g, GET /dashboard at %d req/s for %s\n", rc.dialect, rc.scale, rate, d)
	e, seedTime, err := prepare(ctx, rc)
	if err != nil {
		return err
	}
	defer e.cleanup()
	fmt.Fprintf(os.Stderr, "   seeded in %s\n", seedTime.Round(time.Second))
	srv, err := startServer(rc.bin, e.vars)
	if err != nil {
		return err
	}
	defer srv.stop()
	referrers, err := signInReferrers(srv.url, e.scale)
	if err != nil {
		return err
	}
	url := srv.url + "/dashboard"
	attacker := vegeta.NewAttacker(vegeta.Connections(clients), vegeta.Redirects(vegeta.NoFollow), vegeta.Timeout(requestTimeout))
	r := summarize(ctx, attacker, attacker.Attack(targeter(url, referrers), vegeta.Rate{Freq: rate, Per: time.Second}, d, url))
	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Printf("load: %s, scale %g: GET /dashboard at %d req/s for %s: %s; peak RSS %.0f MB\n",
		rc.dialect, rc.scale, rate, d, r, float64(srv.peakRSS())/1024)
	want := uint64(float64(rate) * d.Seconds())
	switch {
	case r.errors > 0:
		return fmt.Errorf("%d of %d requests failed: %v", r.errors, r.requests, r.firstErrors)
	case r.requests < want*99/100:
		return fmt.Errorf("sent %d requests, want %d: the load generator could not keep the rate", r.requests, want)
	case r.throughput < float64(rate)*0.99:
		return fmt.Errorf("the server answered %.0f requests per second, below the rate of %d", r.throughput, rate)
	}
	return nil
}

// ingest posts batches of 1000 new earnings for referred friends through the signed API,
// one batch after another, checks every event was accepted, and returns events per
// second.
func ingest(ctx context.Context, base, secret string, sc scale, batches int) (float64, error) {
	type event struct {
		ID              string `json:"id"`
		FreelancerEmail string `json:"freelancer_email"`
		AmountCents     int64  `json:"amount_cents"`
		Currency        string `json:"currency"`
		Category        string `json:"category"`
		ClientID        string `json:"client_id"`
		OccurredAt      string `json:"occurred_at"`
	}
	bodies := make([][]byte, batches)
	occurred := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	n := 0
	for b := range batches {
		events := make([]event, 1000)
		for i := range events {
			n++
			// Friends beyond the qualified ones, each once: earnings that count toward a
			// referral without making it qualify.
			friend := sc.Approved + sc.Pending + n%(sc.Friends-sc.Approved-sc.Pending)
			events[i] = event{ID: "bench_" + strconv.Itoa(n), FreelancerEmail: friendEmail(friend), AmountCents: 1234,
				Currency: "USD", Category: "Customer Service", ClientID: "cl_bench", OccurredAt: occurred}
		}
		body, err := json.Marshal(map[string]any{"events": events})
		if err != nil {
			return 0, err
		}
		bodies[b] = body
	}
	var elapsed time.Duration
	for _, body := range bodies {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + "." + string(body)))
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/earnings", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Referrals-Signature", "t="+ts+",v1="+hex.EncodeToString(mac.Sum(nil)))
		start := time.Now()
		res, err := httpClient.Do(req)
		if err != nil {
			return 0, err
		}
		var answer struct {
			Results []struct{ ID, Status, Reason string }
		}
		err = json.NewDecoder(res.Body).Decode(&answer)
		res.Body.Close()
		elapsed += time.Since(start)
		if res.StatusCode != http.StatusOK || err != nil {
			return 0, fmt.Errorf("POST /api/v1/earnings: status %d, %v", res.StatusCode, err)
		}
		for _, r := range answer.Results {
			if r.Status != "accepted" {
				return 0, fmt.Errorf("event %s: %s %s", r.ID, r.Status, r.Reason)
			}
		}
		if len(answer.Results) != 1000 {
			return 0, fmt.Errorf("%d results for 1000 events", len(answer.Results))
		}
	}
	return float64(batches*1000) / elapsed.Seconds(), nil
}
