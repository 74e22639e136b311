//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"referrals/jobs"
	"referrals/models"
	"referrals/models/modelstest"
	"referrals/views"
)

// startJobs works the site's jobs (webhook deliveries among them) until the test ends.
func startJobs(t *testing.T, s *site) {
	t.Helper()
	emails, err := views.NewEmails(s.URL, "", sessionSecret)
	if err != nil {
		t.Fatal(err)
	}
	r, err := jobs.NewRunner(jobs.Config{Store: s.DB.Store, Emails: emails, WebhookFirstRetry: 100 * time.Millisecond, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r.Stop(ctx)
	})
}

func TestAnOwnerAddsAWebhookEndpointSeesTheSecretOnceAndItsDeliveries(t *testing.T) {
	s := startSite(t)
	var received atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("webhook-signature") != "" {
			received.Add(1)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	startJobs(t, s)
	b := newBrowser(t, s)
	b.signIn("admin@example.com")
	b.visit("/admin/webhooks", "webhooks")

	// A mistake first: the form says what is wrong, by the field.
	b.do(chromedp.SendKeys(chromedp.CSS("#url"), "marketplace.example.com/hooks"))
	b.submit("#add-webhook")
	if got := b.text("#url-error"); !strings.Contains(got, "whole address") {
		t.Fatalf("the address error says %q", got)
	}
	b.checkA11y("/admin/webhooks (error)")
	b.shoot("webhooks-error")

	b.do(chromedp.SetValue(chromedp.CSS("#url"), receiver.URL+"/hooks/referrals"))
	b.submit("#add-webhook")
	if !strings.HasPrefix(b.path(), "/admin/webhooks/") {
		t.Fatalf("after adding, the page is %s", b.path())
	}
	secret := value(b, chromedp.Value(chromedp.CSS("#webhook-secret")))
	if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+32 {
		t.Fatalf("secret %q", secret)
	}
	b.checkA11y("/admin/webhooks/ID (secret)")
	b.shoot("webhook-secret")
	endpoint := b.path()
	b.open(endpoint)
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#webhook-secret").length`)); n != 0 {
		t.Fatal("the secret is shown again after a reload")
	}

	// An event: staff approve Priya's credit; the marketplace hears of it.
	var payout int64
	s.DB.QueryRow(t, "SELECT id FROM payouts WHERE status = 'pending_review' ORDER BY id LIMIT 1", []any{&payout})
	if _, err := s.DB.Store.Approve(t.Context(), models.SystemActor("e2e"), payout); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for s.DB.Count(t, "webhook_deliveries", "status = 'delivered'") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the delivery never arrived")
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.visit(endpoint, "webhook-deliveries")
	row := b.text("#webhook-deliveries tbody tr")
	if !strings.Contains(row, "payout.approved") || !strings.Contains(row, "Delivered") || !strings.Contains(row, "204") {
		t.Errorf("the delivery log shows %q", row)
	}
	if received.Load() != 1 {
		t.Errorf("the receiver got %d signed requests, want 1", received.Load())
	}
	b.visit("/admin/webhooks", "webhooks-list")
}

func TestTheHTMLEmailAndTheUnsubscribePage(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t, s)
	b.signIn("admin@example.com")
	var invitation, maria int64
	s.DB.QueryRow(t, "SELECT id, user_id FROM emails WHERE kind = 'invitation' ORDER BY id LIMIT 1", []any{&invitation, &maria})
	// The HTML part on its own, as a mail client shows it (the outbox serves it to its
	// frame sandboxed, where no script, axe's included, may run), then framed in the outbox.
	html := s.writtenEmails(t, "id = ?", invitation)[0].HTML
	mail := newBrowser(t, s)
	mail.do(chromedp.Navigate("about:blank"), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			return err
		}
		_, err = chromedp.Call(ctx, page.SetDocumentContent, page.SetDocumentContentParams{FrameID: tree.FrameTree.Frame.ID, HTML: html})
		return err
	}))
	mail.checkA11y("the invitation's HTML part")
	mail.shoot("email-invitation")
	if got := mail.text("body"); !strings.Contains(got, "Unsubscribe from referral program emails") || !strings.Contains(got, "The marketplace referrals") {
		t.Errorf("the invitation's HTML part says %q", got)
	}
	b.visit(fmt.Sprintf("/admin/outbox/%d", invitation), "outbox-email")
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("iframe#email-html[sandbox]").length`)); n != 1 {
		t.Error("the outbox does not frame the HTML part, sandboxed")
	}

	// The one-click link, opened in a browser: one button, then done.
	emails, err := views.NewEmails(s.URL, "", sessionSecret)
	if err != nil {
		t.Fatal(err)
	}
	link, err := emails.UnsubscribeURL(maria)
	if err != nil {
		t.Fatal(err)
	}
	u := newBrowser(t, s)
	u.visit(strings.TrimPrefix(link, s.URL), "unsubscribe")
	u.submit("#unsubscribe-submit")
	if got := u.text("h1"); got != "You're unsubscribed" {
		t.Errorf("after the button the page says %q", got)
	}
	u.checkA11y("/unsubscribe (done)")
	u.shoot("unsubscribed")
	if s.DB.Count(t, "users", "id = ? AND email_opt_out", maria) != 1 {
		t.Error("the button did not unsubscribe")
	}
}

// TestTwoServeProcessesOnOnePostgresDeliverEachEventOnce runs two real `referrals serve`
// on one PostgreSQL database: each event reaches the endpoint once, whichever process
// delivers it.
func TestTwoServeProcessesOnOnePostgresDeliverEachEventOnce(t *testing.T) {
	db := modelstest.Postgres(t)
	ctx := t.Context()
	var mu sync.Mutex
	seen := map[string]int{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("webhook-id")]++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	if _, err := db.Store.CreateWebhookEndpoint(ctx, models.CLIActor(), models.WebhookInput{URL: receiver.URL, Events: []string{"referral.registered"}}); err != nil {
		t.Fatal(err)
	}
	env := []string{"DATABASE_URL=" + db.URL, "SESSION_SECRET=e2e-session-secret-of-at-least-32-bytes", "WEBHOOK_ALLOW_PRIVATE=1", "PATH=" + os.Getenv("PATH")}
	serve(t, env)
	serve(t, env)

	_, code := db.FixtureReferrer(t, "maria@example.com", "Maria Santos")
	const friends = 12
	db.FixtureFriends(t, code, friends)
	waitFor(t, 60*time.Second, "every registration to arrive", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == friends
	})
	time.Sleep(2 * time.Second) // a duplicate would come now
	mu.Lock()
	defer mu.Unlock()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s arrived %d times", id, n)
		}
	}
	if n := db.Count(t, "webhook_deliveries", "status = 'delivered' AND attempts = 1"); n != friends {
		t.Errorf("%d deliveries delivered at the first attempt, want %d", n, friends)
	}
}
