package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// clients is the number of concurrent clients of each load phase.
const clients = 50

// loadResult sums up one load phase.
type loadResult struct {
	requests   uint64
	throughput float64
	p50, p99   time.Duration
	errors     int
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d requests, %.0f req/s, p50 %s, p99 %s, %d errors", r.requests, r.throughput, ms(r.p50), ms(r.p99), r.errors)
}

// attack sends GET url as fast as 50 concurrent clients can (a closed loop: each client
// waits for its answer), rotating through the session cookies, for d.
func attack(url string, cookies []string, d time.Duration) loadResult {
	var next atomic.Uint64
	targeter := func(t *vegeta.Target) error {
		i := next.Add(1)
		t.Method = http.MethodGet
		t.URL = url
		t.Header = http.Header{"Cookie": {cookies[i%uint64(len(cookies))]}}
		return nil
	}
	attacker := vegeta.NewAttacker(vegeta.Workers(clients), vegeta.MaxWorkers(clients), vegeta.Connections(clients), vegeta.Redirects(vegeta.NoFollow))
	var m vegeta.Metrics
	for res := range attacker.Attack(targeter, vegeta.Rate{Freq: 0}, d, url) {
		m.Add(res)
	}
	m.Close()
	errs := 0
	for code, n := range m.StatusCodes {
		if code != "200" {
			errs += n
		}
	}
	return loadResult{requests: m.Requests, throughput: m.Throughput, p50: m.Latencies.P50, p99: m.Latencies.P99, errors: errs}
}

// ingest posts batches of 1000 new earnings for referred friends through the signed API,
// one batch after another, and returns events per second.
func ingest(base, secret string, sc scale, batches int) (float64, error) {
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
			events[i] = event{ID: "bench_" + strconv.Itoa(n), FreelancerEmail: friendEmail(n % sc.Friends), AmountCents: 1234,
				Currency: "USD", Category: "Customer Service", ClientID: "cl_bench", OccurredAt: occurred}
		}
		body, err := json.Marshal(map[string]any{"events": events})
		if err != nil {
			return 0, err
		}
		bodies[b] = body
	}
	start := time.Now()
	for _, body := range bodies {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + "." + string(body)))
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/earnings", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Referrals-Signature", "t="+ts+",v1="+hex.EncodeToString(mac.Sum(nil)))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("POST /api/v1/earnings: status %d", res.StatusCode)
		}
	}
	return float64(batches*1000) / time.Since(start).Seconds(), nil
}
