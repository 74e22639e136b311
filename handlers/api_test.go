package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
)

const testWebhookSecret = "test-webhook-secret-of-at-least-32-bytes"

// referral sets up the standard program with Maria invited and Sam referred by her, and
// returns Sam's user id.
func (a *app) referral(t *testing.T) int64 {
	t.Helper()
	ctx := t.Context()
	p, err := a.Store.CreateProgram(ctx, models.CLIActor(), models.ProgramInput{Slug: "customer-service", Name: "Customer Service referrals", Deadline: "2019-04-15"})
	if err != nil {
		t.Fatal(err)
	}
	maria := a.createUser(t, models.NewUser{Email: "maria@example.com", Name: "Maria Santos", TopRated: true})
	if _, err := a.Store.InviteProgram(ctx, models.CLIActor(), p.Slug); err != nil {
		t.Fatal(err)
	}
	var code string
	if err := a.Store.DB().QueryRow(fmt.Sprintf("SELECT code FROM invitations WHERE referrer_id = %d", maria.ID)).Scan(&code); err != nil {
		t.Fatal(err)
	}
	res, err := a.Store.SignUpFriend(ctx, models.FriendSignup{Name: "Sam Rivera", Email: "sam@example.com", Password: "correct horse", Country: "US", Code: code})
	if err != nil || res.Referral == nil {
		t.Fatalf("sign up Sam: %+v, %v", res, err)
	}
	return res.Friend.ID
}

// call posts body to the API with the given signature header ("" for none).
func (a *app) call(t *testing.T, path string, body []byte, signature string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.server.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(handlers.SignatureHeader, signature)
	}
	return a.browser(t).do(req)
}

// signed posts body to the API, signed now with the test secret.
func (a *app) signed(t *testing.T, path string, body []byte) response {
	t.Helper()
	return a.call(t, path, body, handlers.Sign(testWebhookSecret, a.Clock.Now(), body))
}

func samEarning(id string, cents int64) map[string]any {
	return map[string]any{"id": id, "freelancer_email": "sam@example.com", "amount_cents": cents, "currency": "USD",
		"category": "Customer Service", "client_id": "cl_9", "occurred_at": "2019-03-02T17:00:00Z"}
}

func eventsBody(t *testing.T, events ...any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"events": events})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// apiError reads an error answer and checks it is JSON.
func apiError(t *testing.T, res response) string {
	t.Helper()
	var body struct{ Error string }
	if err := json.Unmarshal([]byte(res.body), &body); err != nil || body.Error == "" {
		t.Fatalf("status %d body %q: want a JSON error", res.status, res.body)
	}
	return body.Error
}

type resultsJSON struct {
	Results []map[string]any `json:"results"`
}

func TestTheAPIRefusesRequestsWithoutAValidSignature(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.referral(t)
		body := eventsBody(t, samEarning("evt_1", 1000))
		now := a.Clock.Now()
		good := handlers.Sign(testWebhookSecret, now, body)
		for name, sig := range map[string]string{
			"no signature":          "",
			"a malformed header":    "v1=abc",
			"another secret":        handlers.Sign("another-secret", now, body),
			"another body":          handlers.Sign(testWebhookSecret, now, eventsBody(t, samEarning("evt_1", 99999))),
			"a timestamp 301s old":  handlers.Sign(testWebhookSecret, now.Add(-301*time.Second), body),
			"a timestamp 301s late": handlers.Sign(testWebhookSecret, now.Add(301*time.Second), body),
			"a different t":         strings.Replace(good, fmt.Sprint(now.Unix()), fmt.Sprint(now.Unix()+1), 1),
		} {
			res := a.call(t, "/api/v1/earnings", body, sig)
			if res.status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401", name, res.status)
				continue
			}
			apiError(t, res)
		}
		if db.Count(t, "earnings", "") != 0 {
			t.Fatal("an unsigned request was applied")
		}
		res := a.call(t, "/api/v1/earnings", body, handlers.Sign(testWebhookSecret, now.Add(-300*time.Second), body))
		if res.status != http.StatusOK {
			t.Fatalf("a signature 300s old: %d %s", res.status, res.body)
		}
	})
}

func TestWithoutAWebhookSecretTheAPIRefusesEverything(t *testing.T) {
	db := modelstest.SQLite(t)
	e, err := handlers.New(handlers.Options{Store: db.Store, BaseURL: modelstest.BaseURL, SessionSecret: []byte("test-session-secret-of-at-least-32-bytes")})
	if err != nil {
		t.Fatal(err)
	}
	body := eventsBody(t, samEarning("evt_1", 1000))
	for _, sig := range []string{"", handlers.Sign("", db.Clock.Now(), body)} {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, "/api/v1/earnings", bytes.NewReader(body))
		if sig != "" {
			req.Header.Set(handlers.SignatureHeader, sig)
		}
		rec := &recorder{header: http.Header{}}
		e.ServeHTTP(rec, req)
		if rec.status != http.StatusUnauthorized {
			t.Errorf("signature %q: status %d, want 401", sig, rec.status)
		}
	}
}

// recorder is a minimal http.ResponseWriter for calling the router directly.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(status int)      { r.status = status }

func TestTheAPIRefusesBodiesOverOneMiB(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.referral(t)
		body := eventsBody(t, samEarning("evt_1", 1000))
		exact := append(bytes.Repeat([]byte(" "), 1<<20-len(body)), body...)
		if res := a.signed(t, "/api/v1/earnings", exact); res.status != http.StatusOK {
			t.Fatalf("a body of exactly 1 MiB: %d %s", res.status, res.body)
		}
		over := append([]byte(" "), exact...)
		res := a.signed(t, "/api/v1/earnings", over)
		if res.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("a body of 1 MiB + 1 byte: %d, want 413", res.status)
		}
		apiError(t, res)
	})
}

func TestTheAPIRefusesMoreThan1000EventsAndAppliesNothing(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.referral(t)
		events := make([]any, 1001)
		for i := range events {
			events[i] = samEarning(fmt.Sprintf("evt_%d", i), 100)
		}
		res := a.signed(t, "/api/v1/earnings", eventsBody(t, events...))
		if res.status != http.StatusBadRequest || !strings.Contains(apiError(t, res), "At most 1000") {
			t.Fatalf("1001 events: %d %s", res.status, res.body)
		}
		if db.Count(t, "earnings", "") != 0 {
			t.Fatal("a refused batch was applied")
		}
		res = a.signed(t, "/api/v1/earnings", eventsBody(t, events[:1000]...))
		var out resultsJSON
		if res.status != http.StatusOK || json.Unmarshal([]byte(res.body), &out) != nil || len(out.Results) != 1000 {
			t.Fatalf("1000 events: %d, %d results", res.status, len(out.Results))
		}
		if db.Count(t, "earnings", "") != 1000 {
			t.Error("1000 events were not all stored")
		}
	})
}

func TestAMalformedBodyIs400AndAppliesNothing(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.referral(t)
		valid := string(eventsBody(t, samEarning("evt_1", 1000)))
		for body, want := range map[string]string{
			valid[:len(valid)-3]: "not valid JSON",
			valid + "{}":         "not valid JSON",
			`[]`:                 "must be a JSON object",
			`{}`:                 `must be {"events": [...]}`,
			`{"events": null}`:   `must be {"events": [...]}`,
			`{"events": {}}`:     "events must be an array",
			strings.Replace(valid, "1000", `"10.00"`, 1):      "events.amount_cents must be a whole number, not a JSON string",
			strings.Replace(valid, "1000", `10.5`, 1):         "events.amount_cents must be a whole number",
			strings.Replace(valid, `"evt_1"`, `5`, 1):         "events.id must be a string",
			`{"events": [` + valid[11:len(valid)-2] + `, 7]}`: "events must be an object",
		} {
			res := a.signed(t, "/api/v1/earnings", []byte(body))
			if res.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", body, res.status)
				continue
			}
			if msg := apiError(t, res); !strings.Contains(msg, want) || !strings.Contains(msg, "Nothing was applied") {
				t.Errorf("%s: error %q, want %q", body, msg, want)
			}
		}
		if db.Count(t, "earnings", "") != 0 {
			t.Fatal("a malformed body applied something")
		}
	})
}

func TestTheAPIAnswersEachEventInOrder(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		samID := a.referral(t)
		record := func(events ...any) []map[string]any {
			t.Helper()
			res := a.signed(t, "/api/v1/earnings", eventsBody(t, events...))
			var out resultsJSON
			if res.status != http.StatusOK || json.Unmarshal([]byte(res.body), &out) != nil {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			return out.Results
		}
		byID := samEarning("evt_3", 5000)
		delete(byID, "freelancer_email")
		byID["freelancer_id"] = samID
		design := samEarning("evt_4", 5000)
		design["category"] = "Design"
		zero := samEarning("evt_5", 0)
		record(samEarning("evt_1", 1000))
		got := record(samEarning("evt_2", 49000), samEarning("evt_1", 1000), byID, design, zero, samEarning("evt_1", 2000), map[string]any{})
		want := []map[string]any{
			{"id": "evt_2", "status": "accepted", "reason": ""},
			{"id": "evt_1", "status": "duplicate", "reason": ""},
			{"id": "evt_3", "status": "accepted", "reason": ""},
			{"id": "evt_4", "status": "ignored", "reason": "other category"},
			{"id": "evt_5", "status": "rejected", "reason": "amount is 0 or missing"},
			{"id": "evt_1", "status": "rejected", "reason": "conflicting payload for a known id"},
			{"id": "", "status": "rejected", "reason": "id is missing"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("results\n%v\nwant\n%v", got, want)
		}
		if db.Count(t, "referrals", "counted_cents = 55000 AND status = 'qualified'") != 1 || db.Count(t, "payouts", "status = 'pending_review'") != 1 {
			t.Error("the referral did not qualify with one payout at $550")
		}
	})
}

func TestTheAPIUpsertsFreelancersByEmail(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "staff@example.com", Role: models.RoleOwner})
		body := []byte(`{"freelancers": [
			{"email": "Lee@example.com", "name": "Lee Chen", "country": "US", "top_rated": true, "email_opt_out": false, "client_account_id": "cl_lee"},
			{"email": "lee@example.com", "email_opt_out": true},
			{"email": "staff@example.com", "name": "Staff"},
			{"email": "nope"}
		]}`)
		res := a.signed(t, "/api/v1/freelancers", body)
		var out resultsJSON
		if res.status != http.StatusOK || json.Unmarshal([]byte(res.body), &out) != nil || len(out.Results) != 4 {
			t.Fatalf("status %d: %s", res.status, res.body)
		}
		statuses := []string{}
		for _, r := range out.Results {
			statuses = append(statuses, fmt.Sprint(r["status"]))
		}
		if strings.Join(statuses, ",") != "created,created,rejected,rejected" || out.Results[2]["reason"] != "this email belongs to program staff" {
			t.Errorf("results %v", out.Results)
		}
		if db.Count(t, "users", "email = 'lee@example.com' AND top_rated = ? AND email_opt_out = ? AND client_account_id = 'cl_lee' AND password_hash = ''", true, true) != 1 {
			t.Error("Lee was not stored with both profiles' fields and no password")
		}
		// The id answered is the freelancer_id earnings may carry.
		lee := out.Results[0]["id"].(float64)
		e := samEarning("evt_lee", 1000)
		delete(e, "freelancer_email")
		e["freelancer_id"] = int64(lee)
		if res := a.signed(t, "/api/v1/earnings", eventsBody(t, e)); !strings.Contains(res.body, `"status":"ignored"`) {
			t.Errorf("an earning by freelancer_id: %s", res.body)
		}
		if db.Count(t, "earnings", "freelancer_email = 'lee@example.com'") != 1 {
			t.Error("the earning by freelancer_id is not stored under Lee's email")
		}
		// Signing in is impossible without a password.
		b := a.browser(t)
		if res := b.post("/login", map[string][]string{"email": {"lee@example.com"}, "password": {""}}, true); res.status != http.StatusUnprocessableEntity {
			t.Errorf("sign-in as a password-less freelancer: %d", res.status)
		}
	})
}

func TestTheAPIAnswersJSONForWrongMethods(t *testing.T) {
	db := modelstest.SQLite(t)
	a := newApp(t, db)
	res := a.browser(t).get("/api/v1/earnings")
	if res.status != http.StatusMethodNotAllowed && res.status != http.StatusNotFound {
		t.Errorf("GET: %d", res.status)
	}
	apiError(t, res)
}

// A signed request sent again while its signature still verifies is a replay: 409, and
// nothing of it is applied (the earning's amount is not counted twice, a profile is not
// rewritten). The signatures seen live in the database, so this holds across instances;
// they are forgotten once they could no longer verify.
func TestAReplayedRequestAnswers409AndAppliesNothing(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.referral(t)
		other := newApp(t, db) // a second instance on the same database
		now := a.Clock.Now()
		body := eventsBody(t, samEarning("evt_1", 1000))
		sig := handlers.Sign(testWebhookSecret, now, body)
		if res := a.call(t, "/api/v1/earnings", body, sig); res.status != http.StatusOK {
			t.Fatalf("first delivery: %d %s", res.status, res.body)
		}
		a.Clock.Advance(299 * time.Second)
		for name, app := range map[string]*app{"the same instance": a, "another instance": other} {
			res := app.call(t, "/api/v1/earnings", body, sig)
			if res.status != http.StatusConflict || !strings.Contains(apiError(t, res), "replay") {
				t.Errorf("replay to %s: %d %s, want 409", name, res.status, res.body)
			}
		}
		// A profile replayed after the marketplace changed it must not undo the change.
		name := func(n string) []byte {
			return []byte(`{"freelancers":[{"email":"lee@example.com","name":"` + n + `"}]}`)
		}
		first := name("Lee First")
		firstSig := handlers.Sign(testWebhookSecret, a.Clock.Now(), first)
		a.call(t, "/api/v1/freelancers", first, firstSig)
		a.signed(t, "/api/v1/freelancers", name("Lee Second"))
		if res := a.call(t, "/api/v1/freelancers", first, firstSig); res.status != http.StatusConflict {
			t.Errorf("replayed profile: %d, want 409", res.status)
		}
		if db.Count(t, "users", "name = 'Lee Second'") != 1 {
			t.Error("the replayed profile was applied")
		}
		if db.Count(t, "referrals", "counted_cents = 1000") != 1 {
			t.Error("the replayed earnings were counted")
		}
		// The same events signed anew are a redelivery: answered, each a duplicate.
		res := a.signed(t, "/api/v1/earnings", body)
		if res.status != http.StatusOK || !strings.Contains(res.body, `"duplicate"`) {
			t.Errorf("a new signature for the same events: %d %s", res.status, res.body)
		}
		// Expired signatures are purged as new ones arrive.
		a.Clock.Advance(301 * time.Second)
		a.signed(t, "/api/v1/freelancers", name("Lee Third"))
		if n := db.Count(t, "api_signatures", ""); n != 1 {
			t.Errorf("%d signatures kept, want only the one still in its window", n)
		}
	})
}

func TestAShortWebhookSecretIsRefused(t *testing.T) {
	db := modelstest.SQLite(t)
	_, err := handlers.New(handlers.Options{Store: db.Store, BaseURL: modelstest.BaseURL,
		SessionSecret: []byte("test-session-secret-of-at-least-32-bytes"), WebhookSecret: strings.Repeat("x", 31)})
	if err == nil || !strings.Contains(err.Error(), "WEBHOOK_SECRET must be at least 32 bytes") {
		t.Fatalf("a 31-byte secret: %v", err)
	}
}
