package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
)

var secretFormat = regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{32}$`)

func TestAnOwnerAddsAnEndpointAndSeesItsSecretOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		owner := signedInAdmin(t, a)
		page := parse(t, owner.get("/admin/webhooks").body)
		if byID(page, "webhook-form") == nil || byID(page, "webhook-endpoints") != nil {
			t.Fatal("no form, or endpoints listed before any was added")
		}
		res := owner.post("/admin/webhooks", url.Values{"url": {"https://marketplace.example.com/hooks"},
			"events": {"payout.paid", "referral.registered"}}, true)
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/admin/webhooks/") {
			t.Fatalf("create: %d to %q", res.status, res.location)
		}
		first := parse(t, owner.get(res.location).body)
		secret := byID(first, "webhook-secret")
		if secret == nil || !secretFormat.MatchString(attr(secret, "value")) {
			t.Fatalf("the secret is not shown as whsec_ + base64 of 24 bytes: %v", secret)
		}
		var stored string
		db.QueryRow(t, "SELECT secret FROM webhook_endpoints", []any{&stored})
		if stored != attr(secret, "value") {
			t.Error("the secret shown is not the endpoint's")
		}
		if again := owner.get(res.location); strings.Contains(again.body, stored) || byID(parse(t, again.body), "webhook-secret") != nil {
			t.Error("the secret is shown a second time")
		}
		if list := owner.get("/admin/webhooks").body; strings.Contains(list, stored) || !strings.Contains(list, "https://marketplace.example.com/hooks") {
			t.Error("the list shows the secret, or not the endpoint")
		}
		if n := db.Count(t, "audit_events", "action = 'webhook.create' AND details NOT LIKE '%whsec_%'"); n != 1 {
			t.Errorf("%d audit events of the creation without the secret, want 1", n)
		}
		if n := db.Count(t, "webhook_endpoints", "events = ?", `["referral.registered","payout.paid"]`); n != 1 {
			t.Errorf("the endpoint does not hold the chosen events")
		}
	})
}

func TestABadEndpointReRendersTheFormWithTheReason(t *testing.T) {
	db := modelstest.SQLite(t)
	// A production process: private addresses refused.
	strict, err := models.Open(context.Background(), models.Options{DataDir: db.DataDir, Clock: db.Clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { strict.Close() })
	a := newApp(t, db, func(o *handlers.Options) { o.Store = strict })
	owner := signedInAdmin(t, a)
	for raw, want := range map[string]string{
		"http://203.0.113.9/hooks":                 "Use an https:// address",
		"marketplace.example.com/hooks":            "Enter a whole address",
		"https://127.0.0.1/hooks":                  "private, loopback or link-local",
		"https://169.254.169.254/latest/meta-data": "private, loopback or link-local",
		"https://localhost:8443/hooks":             "resolves to",
		"https://[::1]/hooks":                      "private, loopback or link-local",
	} {
		res := owner.post("/admin/webhooks", url.Values{"url": {raw}, "events": {"payout.paid"}}, true)
		doc := parse(t, res.body)
		input, msg := byID(doc, "url"), byID(doc, "url-error")
		if res.status != http.StatusUnprocessableEntity || input == nil || attr(input, "value") != raw || msg == nil || !strings.Contains(text(msg), want) {
			t.Errorf("%s: %d, error %q; want 422 with the address kept and %q by the field", raw, res.status, text(msgOr(msg)), want)
		}
	}
	res := owner.post("/admin/webhooks", url.Values{"url": {"https://203.0.113.9/hooks"}}, true)
	if res.status != http.StatusUnprocessableEntity || byID(parse(t, res.body), "events-error") == nil {
		t.Errorf("no events: %d, want 422 with the error by the events", res.status)
	}
	if n := db.Count(t, "webhook_endpoints", ""); n != 0 {
		t.Errorf("%d endpoints created from bad input", n)
	}
}

func msgOr(n *html.Node) *html.Node {
	if n == nil {
		return &html.Node{}
	}
	return n
}

func TestAnOwnerDisablesAnEndpointAndRetriesADelivery(t *testing.T) {
	db := modelstest.SQLite(t)
	a := newApp(t, db)
	ctx := context.Background()
	ep, err := db.Store.CreateWebhookEndpoint(ctx, models.CLIActor(), models.WebhookInput{URL: "http://127.0.0.1:9/hooks", Events: []string{"referral.registered"}})
	if err != nil {
		t.Fatal(err)
	}
	db.PendingPayoutFixture(t, modelstest.PendingPayout{ReferrerEmail: "maria@example.com", FriendEmail: "sam@example.com"})
	owner := signedInAdmin(t, a) // after the fixture, which moves the clock
	var delivery int64
	db.QueryRow(t, "SELECT id FROM webhook_deliveries", []any{&delivery})
	path := fmt.Sprintf("/admin/webhooks/%d", ep.ID)
	row := find(parse(t, owner.get(path).body), func(n *html.Node) bool { return attr(n, "data-delivery-id") == fmt.Sprint(delivery) })
	if row == nil || !strings.Contains(text(row), "referral.registered") || attr(row, "data-status") != "pending" {
		t.Fatalf("the delivery log does not show the pending registration")
	}

	retry := fmt.Sprintf("%s/deliveries/%d/retry", path, delivery)
	if res := owner.post(retry, nil, true); res.status != http.StatusSeeOther {
		t.Fatalf("retry: %d", res.status)
	}
	if n := db.Count(t, "webhook_deliveries", "generation = 2"); n != 1 {
		t.Error("the retry did not start a new generation")
	}
	if res := owner.post(path+"/disable", nil, true); res.status != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.status)
	}
	if n := db.Count(t, "webhook_deliveries", "status = 'failed'"); n != 1 {
		t.Error("disabling left the delivery pending")
	}
	owner.post(retry, nil, true)
	if page := owner.get(path).body; !strings.Contains(page, "enable it first") || byID(parse(t, page), "enable-webhook") == nil {
		t.Error("retrying on a disabled endpoint does not say to enable it")
	}
	if res := owner.post(path+"/enable", nil, true); res.status != http.StatusSeeOther || db.Count(t, "webhook_endpoints", "status = 'active'") != 1 {
		t.Errorf("enable: %d", res.status)
	}
	if notice := find(parse(t, owner.get("/admin").body), func(n *html.Node) bool { return attr(n, "data-webhook-id") != "" }); notice != nil {
		t.Error("the overview warns of an endpoint an owner disabled and enabled")
	}
	if res := owner.get("/admin/webhooks/999"); res.status != http.StatusNotFound {
		t.Errorf("unknown endpoint: %d, want 404", res.status)
	}
	if res := owner.post(fmt.Sprintf("%s/deliveries/%d/retry", path, delivery+100), nil, true); res.status != http.StatusNotFound {
		t.Errorf("unknown delivery: %d, want 404", res.status)
	}
	if n := db.Count(t, "audit_events", "action IN ('webhook.retry', 'webhook.disable', 'webhook.enable')"); n != 3 {
		t.Errorf("%d audit events, want retry, disable and enable", n)
	}
}

func TestTheOverviewTellsOwnersOfAnEndpointDisabledForFailing(t *testing.T) {
	db := modelstest.SQLite(t)
	a := newApp(t, db)
	ctx := context.Background()
	ep, err := db.Store.CreateWebhookEndpoint(ctx, models.CLIActor(), models.WebhookInput{URL: "https://203.0.113.9/hooks", Events: []string{"referral.registered"}})
	if err != nil {
		t.Fatal(err)
	}
	_, code := db.FixtureReferrer(t, "maria@example.com", "Maria Santos")
	db.FixtureSignUp(t, code, "Sam Rivera", "sam@example.com", "203.0.113.7")
	var delivery int64
	db.QueryRow(t, "SELECT id FROM webhook_deliveries", []any{&delivery})
	// Two failed attempts a day apart, as the delivery job records them.
	for range 2 {
		if _, err := db.Store.FinishWebhookAttempt(ctx, delivery, 1, models.WebhookOutcome{StatusCode: 503, Err: "The endpoint answered 503"}); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(models.WebhookFailingLimit)
	}
	owner := signedInAdmin(t, a)
	notice := find(parse(t, owner.get("/admin").body), func(n *html.Node) bool { return attr(n, "data-webhook-id") == fmt.Sprint(ep.ID) })
	if notice == nil || !strings.Contains(text(notice), "https://203.0.113.9/hooks") || !strings.Contains(text(notice), "after a day of failures") {
		t.Fatalf("the overview does not tell of the disabled endpoint")
	}
	// Other staff cannot act on it, so they are not told.
	a.createUser(t, models.NewUser{Email: "rev@example.com", Role: models.RoleReviewer})
	reviewer := a.browser(t)
	reviewer.signIn("rev@example.com", "correct horse", "/admin")
	if strings.Contains(reviewer.get("/admin").body, "Webhook endpoint disabled") {
		t.Error("a reviewer is told of a webhook endpoint")
	}
}
