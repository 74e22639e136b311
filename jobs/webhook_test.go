package jobs_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"referrals/jobs"
	"referrals/models"
	"referrals/models/modelstest"
)

// receiver is a webhook endpoint for tests: a real HTTP server that checks every request
// by the Standard Webhooks 1.0 algorithm, written here from the specification rather
// than taken from the product, and keeps what it accepted.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string // set once the endpoint exists

	mu sync.Mutex
	// answer decides the status of each request (default 204); it may block.
	answer func(id string) int
	// attempts counts every request per webhook-id; accepted holds the bodies of
	// those answered 2xx, in arrival order.
	attempts map[string]int
	accepted map[string][]map[string]any
	bad      []string
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, attempts: map[string]int{}, accepted: map[string][]map[string]any{}}
	r.srv = httptest.NewServer(r)
	t.Cleanup(r.srv.Close)
	return r
}

// verify checks a request's signature as a receiver does: the secret's bytes are the
// base64 after "whsec_"; the signed content is "{webhook-id}.{webhook-timestamp}.{body}";
// webhook-signature is a space-separated list of "v1,{base64 HMAC-SHA256}", one of which
// must match; the timestamp must be within five minutes of now.
func verify(secret string, h http.Header, body []byte) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing headers: id %q, timestamp %q, signature %q", id, ts, sigs)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || math.Abs(time.Since(time.Unix(sec, 0)).Seconds()) > 300 {
		return fmt.Errorf("timestamp %q is not within five minutes of now", ts)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		return fmt.Errorf("secret %q is not whsec_ + base64", secret)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no valid v1 signature in %q", sigs)
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	r.attempts[id]++
	answer, secret := r.answer, r.secret
	r.mu.Unlock()
	if err := verify(secret, req.Header, body); err != nil {
		r.mu.Lock()
		r.bad = append(r.bad, err.Error())
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	status := http.StatusNoContent
	if answer != nil {
		status = answer(id)
	}
	if status == 0 { // hang up without answering
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	if req.Context().Err() != nil {
		return // the sender gave up waiting: it will send this again, and nothing was taken
	}
	if status >= 200 && status < 300 {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil || req.Header.Get("Content-Type") != "application/json" {
			r.t.Errorf("body %s (%s): %v", body, req.Header.Get("Content-Type"), err)
		}
		r.mu.Lock()
		r.accepted[id] = append(r.accepted[id], m)
		r.mu.Unlock()
	}
	w.WriteHeader(status)
}

// setAnswer changes how the receiver answers.
func (r *receiver) setAnswer(f func(id string) int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answer = f
}

// events are the accepted bodies, one per webhook-id, by type; it fails the test if an
// id was accepted twice or a request was badly signed.
func (r *receiver) events(t *testing.T) map[string][]map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Fatalf("badly signed requests: %v", r.bad)
	}
	out := map[string][]map[string]any{}
	for id, bodies := range r.accepted {
		if len(bodies) != 1 {
			t.Errorf("%s was accepted %d times", id, len(bodies))
		}
		typ, _ := bodies[0]["type"].(string)
		out[typ] = append(out[typ], bodies[0])
	}
	return out
}

// acceptedCount is how many distinct events were accepted.
func (r *receiver) acceptedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.accepted)
}

// endpoint registers the receiver for events (all when none are given).
func (r *receiver) endpoint(t *testing.T, db *modelstest.DB, events ...models.WebhookEventType) models.WebhookEndpoint {
	t.Helper()
	if len(events) == 0 {
		events = models.WebhookEventTypes()
	}
	in := models.WebhookInput{URL: r.srv.URL + "/hooks"}
	for _, e := range events {
		in.Events = append(in.Events, string(e))
	}
	ep, err := db.Store.CreateWebhookEndpoint(context.Background(), models.CLIActor(), in)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.secret = ep.Secret
	r.mu.Unlock()
	return ep
}

// startWebhookRunner works store's jobs with short webhook waits: one-second timeout,
// first retry after 100 ms.
func startWebhookRunner(t *testing.T, store *models.Store) {
	t.Helper()
	r, err := jobs.NewRunner(jobs.Config{Store: store, Emails: modelstest.Emails(t), WebhookTimeout: time.Second, WebhookFirstRetry: 100 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := r.Stop(ctx); err != nil {
			t.Errorf("stop runner: %v", err)
		}
	})
}

// referFriends invites maria in p and signs up n friends through her link.
func referFriends(t *testing.T, db *modelstest.DB, p models.Program, n int) []models.SignupResult {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Store.UserByEmail(ctx, "maria@example.com"); err != nil {
		if _, err := db.Store.CreateUser(ctx, models.NewUser{Email: "maria@example.com", Name: "Maria", Password: "correct horse", Country: "US", TopRated: true}); err != nil {
			t.Fatal(err)
		}
		invite(t, db, p)
	}
	var code string
	db.QueryRow(t, "SELECT code FROM invitations WHERE program_id = ?", []any{&code}, p.ID)
	var out []models.SignupResult
	for i := range n {
		before := db.Count(t, "users", "")
		res, err := db.Store.SignUpFriend(ctx, models.FriendSignup{
			Name: fmt.Sprintf("Friend %d", before), Email: fmt.Sprintf("friend%d@example.com", before), Password: "correct horse",
			Country: "US", Code: code, IP: fmt.Sprintf("203.0.113.%d", i+1),
		})
		if err != nil || res.Referral == nil {
			t.Fatalf("sign-up: %+v, %v", res, err)
		}
		out = append(out, res)
	}
	return out
}

// earn records $500 of Customer Service work for friend: the referral qualifies.
func earn(t *testing.T, db *modelstest.DB, friend models.User) {
	t.Helper()
	_, err := db.Store.RecordEarnings(context.Background(), []models.EarningEvent{{
		ID: "evt_" + friend.Email, FreelancerEmail: friend.Email, AmountCents: 50000, Currency: "USD",
		Category: "Customer Service", ClientID: "cl_1", OccurredAt: db.Clock.Now().Add(time.Hour).Format(time.RFC3339),
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEveryEventTypeArrivesSignedOnceWithItsData(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		r := newReceiver(t)
		r.endpoint(t, db)
		startWebhookRunner(t, db.Store)
		p := openProgram(t, db)

		friends := referFriends(t, db, p, 2)
		db.Clock.Advance(2 * time.Hour)
		for _, f := range friends {
			earn(t, db, f.Friend)
		}
		var payouts []int64
		for _, f := range friends {
			var id int64
			db.QueryRow(t, "SELECT id FROM payouts WHERE referral_id = ?", []any{&id}, f.Referral.ID)
			payouts = append(payouts, id)
		}
		staff := models.SystemActor("test")
		if _, err := db.Store.Approve(ctx, staff, payouts[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Reject(ctx, staff, payouts[1], "Same household."); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.PayBatch(ctx, staff, "2019-03"); err != nil {
			t.Fatal(err)
		}

		waitFor(t, "all 7 events are delivered", func() bool { return r.acceptedCount() == 7 })
		got := r.events(t)
		for typ, want := range map[models.WebhookEventType]int{
			models.EventReferralRegistered: 2, models.EventReferralQualified: 2,
			models.EventPayoutApproved: 1, models.EventPayoutRejected: 1, models.EventPayoutPaid: 1,
		} {
			if len(got[string(typ)]) != want {
				t.Errorf("%d %s events, want %d", len(got[string(typ)]), typ, want)
			}
		}
		for _, bodies := range got {
			for _, b := range bodies {
				if ts, _ := b["timestamp"].(string); ts == "" || func() bool { _, err := time.Parse(time.RFC3339, ts); return err != nil }() {
					t.Errorf("timestamp %v is not RFC 3339", b["timestamp"])
				}
			}
		}
		data := func(typ models.WebhookEventType) map[string]any {
			d, _ := got[string(typ)][0]["data"].(map[string]any)
			return d
		}
		paid := data(models.EventPayoutPaid)
		for key, want := range map[string]any{
			"payout_id": float64(payouts[0]), "referrer_email": "maria@example.com", "amount_cents": float64(10000),
			"fee_cents": float64(0), "ledger_reference": fmt.Sprintf("payout:%d", payouts[0]), "batch_month": "2019-03",
			"program": p.Slug,
		} {
			if paid[key] != want {
				t.Errorf("payout.paid %s = %#v, want %#v", key, paid[key], want)
			}
		}
		registered := got[string(models.EventReferralRegistered)]
		for _, b := range registered {
			d := b["data"].(map[string]any)
			if d["program"] != p.Slug || d["referrer_email"] != "maria@example.com" || d["freelancer_plus_until"] != "2019-04-01" ||
				!strings.HasPrefix(d["friend_email"].(string), "friend") || d["referral_id"].(float64) < 1 {
				t.Errorf("referral.registered data %v", d)
			}
		}
		if d := data(models.EventPayoutRejected); d["reason"] != "Same household." || d["payout_id"] != float64(payouts[1]) {
			t.Errorf("payout.rejected data %v", d)
		}
		if d := data(models.EventPayoutApproved); d["batch_month"] != "2019-03" || d["due_date"] != "2019-04-05" {
			t.Errorf("payout.approved data %v", d)
		}
		if d := data(models.EventReferralQualified); d["amount_cents"] != float64(10000) || d["counted_cents"] != float64(50000) {
			t.Errorf("referral.qualified data %v", d)
		}
		// The receiver has answered; the sender records the delivery just after.
		waitFor(t, "all 7 deliveries are recorded as delivered", func() bool {
			return db.Count(t, "webhook_deliveries", "status = 'delivered'") == 7
		})
		if n := db.Count(t, "webhook_deliveries", "status = 'delivered' AND attempts = 1"); n != 7 {
			t.Errorf("%d deliveries delivered at the first attempt, want 7", n)
		}
	})
}

func TestAnEndpointGetsOnlyTheEventsItChose(t *testing.T) {
	db := modelstest.SQLite(t)
	paidOnly, everything := newReceiver(t), newReceiver(t)
	paidOnly.endpoint(t, db, models.EventReferralQualified)
	everything.endpoint(t, db)
	startWebhookRunner(t, db.Store)
	referFriends(t, db, openProgram(t, db), 1)
	waitFor(t, "the registration reaches the endpoint that wants it", func() bool { return everything.acceptedCount() == 1 })
	if n := paidOnly.acceptedCount(); n != 0 || db.Count(t, "webhook_deliveries", "") != 1 {
		t.Errorf("the endpoint for referral.qualified got %d events", n)
	}
}

func TestAReceiverDownForAWhileGetsEveryEventOnceWithTheSameID(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		r := newReceiver(t)
		r.endpoint(t, db)
		// Down: it resets connections, then fails with 500s, then answers slowly.
		r.setAnswer(func(string) int { return 0 })
		startWebhookRunner(t, db.Store)
		referFriends(t, db, openProgram(t, db), 3)
		waitFor(t, "each event was tried twice", func() bool { return db.Count(t, "webhook_deliveries", "attempts >= 2") == 3 })
		r.setAnswer(func(string) int { return http.StatusInternalServerError })
		waitFor(t, "each event got a 500", func() bool { return db.Count(t, "webhook_deliveries", "last_status_code = 500") == 3 })
		if n := db.Count(t, "webhook_deliveries", "status = 'pending' AND last_error LIKE 'The endpoint answered 500%' AND next_attempt_at IS NOT NULL"); n != 3 {
			t.Errorf("%d deliveries wait for a retry with the 500 logged, want 3", n)
		}
		r.setAnswer(func(string) int { time.Sleep(2 * time.Second); return http.StatusOK }) // beyond the 1 s timeout
		waitFor(t, "each event timed out", func() bool { return db.Count(t, "webhook_deliveries", "last_error LIKE 'No answer within%'") == 3 })

		r.setAnswer(nil) // back
		waitFor(t, "all 3 are delivered", func() bool { return r.acceptedCount() == 3 })
		r.events(t) // each once
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.attempts) != 3 {
			t.Errorf("the receiver saw %d webhook-ids for 3 events: a retry used a new id", len(r.attempts))
		}
		for id, n := range r.attempts {
			if n < 4 || !strings.HasPrefix(id, "msg_") {
				t.Errorf("%s was tried %d times, want at least 4 with the same id", id, n)
			}
		}
	})
}

func TestAHangingEndpointDoesNotHoldUpAnother(t *testing.T) {
	db := modelstest.SQLite(t)
	hanging, healthy := newReceiver(t), newReceiver(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hanging.setAnswer(func(string) int {
		select {
		case <-release:
		case <-time.After(time.Minute):
		}
		return http.StatusOK
	})
	hanging.endpoint(t, db)
	healthy.endpoint(t, db)
	startWebhookRunner(t, db.Store)
	referFriends(t, db, openProgram(t, db), 6)
	waitFor(t, "the healthy endpoint gets all 6", func() bool { return healthy.acceptedCount() == 6 })
	if n := hanging.acceptedCount(); n != 0 {
		t.Errorf("the hanging endpoint accepted %d", n)
	}
}

func TestTheAddressIsCheckedAgainWhenDialled(t *testing.T) {
	db := modelstest.SQLite(t)
	r := newReceiver(t)
	// Registered where private addresses are allowed; delivered by a process where they
	// are not (as if the name had resolved to a public address when it was entered).
	r.endpoint(t, db)
	strict, err := models.Open(context.Background(), models.Options{DataDir: db.DataDir, Clock: db.Clock, Jobs: mustQueue(t, db)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { strict.Close() })
	startWebhookRunner(t, strict)
	referFriends(t, db, openProgram(t, db), 1)
	waitFor(t, "the attempt is refused", func() bool {
		return db.Count(t, "webhook_deliveries", "last_error LIKE 'Refused: the address resolves to a private%'") == 1
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.attempts) != 0 {
		t.Errorf("the loopback receiver got %d requests", len(r.attempts))
	}
}

func mustQueue(t *testing.T, db *modelstest.DB) *jobs.Queue {
	t.Helper()
	q, err := jobs.NewQueue(db.Store.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestAnEndpointFailingForADayIsDisabled(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		r := newReceiver(t)
		ep := r.endpoint(t, db)
		r.setAnswer(func(string) int { return http.StatusServiceUnavailable })
		startWebhookRunner(t, db.Store)
		referFriends(t, db, openProgram(t, db), 2)
		waitFor(t, "the first attempts fail", func() bool { return db.Count(t, "webhook_deliveries", "attempts >= 1") == 2 })
		if n := db.Count(t, "webhook_endpoints", "failing_since IS NOT NULL AND status = 'active'"); n != 1 {
			t.Fatalf("%d endpoints failing and still active, want 1", n)
		}
		db.Clock.Advance(models.WebhookFailingLimit + time.Minute)
		waitFor(t, "the endpoint is disabled", func() bool { return db.Count(t, "webhook_endpoints", "status = 'disabled'") == 1 })
		waitFor(t, "its deliveries fail", func() bool { return db.Count(t, "webhook_deliveries", "status = 'failed'") == 2 })
		disabled, err := db.Store.DisabledWebhookEndpoints(ctx)
		if err != nil || len(disabled) != 1 || disabled[0].ID != ep.ID || !strings.Contains(disabled[0].DisabledReason, "for a day") {
			t.Errorf("disabled endpoints for the overview: %+v, %v", disabled, err)
		}
		if n := db.Count(t, "audit_events", "action = 'webhook.disable' AND actor = 'webhooks'"); n != 1 {
			t.Errorf("%d audit events of the disabling, want 1", n)
		}

		// Enabled again and retried by hand, a failed delivery goes out with its id.
		r.setAnswer(nil)
		owner := models.SystemActor("test")
		if err := db.Store.EnableWebhookEndpoint(ctx, owner, ep.ID); err != nil {
			t.Fatal(err)
		}
		var delivery int64
		var messageID string
		db.QueryRow(t, "SELECT d.id, e.message_id FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id ORDER BY d.id LIMIT 1", []any{&delivery, &messageID})
		if err := db.Store.RetryWebhookDelivery(ctx, owner, ep.ID, delivery); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the retried delivery arrives", func() bool { return r.acceptedCount() == 1 })
		if _, ok := r.events(t)[string(models.EventReferralRegistered)]; !ok {
			t.Error("the retried registration did not arrive")
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.accepted[messageID] == nil || r.attempts[messageID] < 2 {
			t.Errorf("the retry did not carry the original webhook-id %s: %v", messageID, r.attempts)
		}
	})
}

func TestTwoRunnersOnOnePostgresDatabaseDeliverEachEventOnce(t *testing.T) {
	db := modelstest.Postgres(t)
	r := newReceiver(t)
	r.endpoint(t, db)
	other, err := models.Open(context.Background(), models.Options{DatabaseURL: db.URL, Clock: db.Clock, Jobs: mustQueue(t, db), AllowPrivateWebhooks: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	referFriends(t, db, openProgram(t, db), 8)
	startWebhookRunner(t, db.Store)
	startWebhookRunner(t, other)
	waitFor(t, "all 8 events are delivered", func() bool { return r.acceptedCount() == 8 })
	r.events(t)
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, n := range r.attempts {
		if n != 1 {
			t.Errorf("%s was sent %d times", id, n)
		}
	}
}
