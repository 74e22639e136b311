package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"referrals/jobs"
	"referrals/jobs/jobstest"
	"referrals/models"
	"referrals/models/modelstest"
)

// sendEmails runs the job runner of a serving process, with SMTP, until everything queued
// so far is sent; the runner then stops, so what is queued later stays queued.
func sendEmails(t *testing.T, db *modelstest.DB, srv *jobstest.SMTPServer) {
	t.Helper()
	r, err := jobs.NewRunner(jobs.Config{Store: db.Store, Mailer: jobs.NewMailer(srv.Config()), Emails: modelstest.Emails(t), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for db.Count(t, "emails", "status IN ('queued', 'sending')") > 0 {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting for the emails to be sent")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// onApp points a link of BaseURL at the test server.
func (a *app) onApp(link string) string {
	return a.server.URL + strings.TrimPrefix(link, modelstest.BaseURL)
}

func TestOneClickUnsubscribeFromTheEmailNeedsNoSessionAndCancelsQueuedInvitations(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		a := newApp(t, db)
		srv := jobstest.StartSMTP(t)
		maria := a.createUser(t, models.NewUser{Email: "maria@example.com", Name: "Maria", TopRated: true})
		spring, summer := programNamed(t, db, "spring"), programNamed(t, db, "summer")
		if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), spring.Slug); err != nil {
			t.Fatal(err)
		}
		sendEmails(t, db, srv)
		msgs := srv.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d messages, want the spring invitation", len(msgs))
		}
		link := strings.Trim(msgs[0].Header.Get("List-Unsubscribe"), "<>")
		if !strings.HasPrefix(link, modelstest.BaseURL+"/unsubscribe/") || !strings.Contains(msgs[0].Text, link) || !strings.Contains(msgs[0].HTML, link) {
			t.Fatalf("List-Unsubscribe %q, not the visible link of both parts", link)
		}
		// The summer invitation is queued, not sent yet, when Maria unsubscribes.
		if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), summer.Slug); err != nil {
			t.Fatal(err)
		}

		// A GET (a link scanner, a preview) changes nothing: it shows one button.
		anon := a.browser(t)
		page := anon.get(strings.TrimPrefix(link, modelstest.BaseURL))
		if page.status != http.StatusOK || byID(parse(t, page.body), "unsubscribe-submit") == nil {
			t.Fatalf("GET: %d, no unsubscribe button:\n%s", page.status, page.body)
		}
		if db.Count(t, "users", "email_opt_out") != 0 {
			t.Fatal("a GET unsubscribed")
		}

		// The mail provider's one-click POST (RFC 8058): no cookie, no CSRF field.
		req, _ := http.NewRequest(http.MethodPost, a.onApp(link), strings.NewReader("List-Unsubscribe=One-Click"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("one-click POST: %d, want 200", res.StatusCode)
		}
		if db.Count(t, "users", "id = ? AND email_opt_out", maria.ID) != 1 {
			t.Error("the one-click POST did not set email_opt_out")
		}
		if db.Count(t, "emails", "kind = 'invitation' AND status = 'cancelled'") != 1 {
			t.Error("the queued summer invitation was not cancelled")
		}
		if db.Count(t, "audit_events", "action = 'email.unsubscribe' AND actor_id = ?", maria.ID) != 1 {
			t.Error("the unsubscribe is not in the audit log")
		}
		page = anon.get(strings.TrimPrefix(link, modelstest.BaseURL))
		if !strings.Contains(page.body, "You're unsubscribed") {
			t.Error("the link's page does not say she is unsubscribed")
		}

		// The summer invitation never goes, and her reminders are not even queued.
		sendEmails(t, db, srv)
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("%d messages after unsubscribing, want still 1", n)
		}
		db.Clock.Advance(8 * 24 * time.Hour)
		if _, err := db.Store.SendReminders(ctx, models.CLIActor(), spring.Slug); err != nil {
			t.Fatal(err)
		}
		if n := db.Count(t, "emails", "kind = 'reminder'"); n != 0 {
			t.Errorf("%d reminders queued to someone who unsubscribed", n)
		}
	})
}

func TestATamperedUnsubscribeLinkAnswers400AndChangesNothing(t *testing.T) {
	db := modelstest.SQLite(t)
	a := newApp(t, db)
	maria := a.createUser(t, models.NewUser{Email: "maria@example.com", TopRated: true})
	good, err := modelstest.Emails(t).UnsubscribeURL(maria.ID)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(good, modelstest.BaseURL+"/unsubscribe/")
	gone, err := modelstest.Emails(t).UnsubscribeURL(maria.ID + 1000)
	if err != nil {
		t.Fatal(err)
	}
	anon := a.browser(t)
	for name, path := range map[string]string{
		"tampered":     "/unsubscribe/" + token[:10] + "x" + token[11:],
		"cut short":    "/unsubscribe/" + token[:len(token)-6],
		"garbage":      "/unsubscribe/hello",
		"unknown user": strings.TrimPrefix(gone, modelstest.BaseURL),
	} {
		if res := anon.get(path); res.status != http.StatusBadRequest || !strings.Contains(res.body, "not valid") {
			t.Errorf("%s: GET answers %d", name, res.status)
		}
		if res := anon.post(path, url.Values{"List-Unsubscribe": {"One-Click"}}, false); res.status != http.StatusBadRequest {
			t.Errorf("%s: POST answers %d", name, res.status)
		}
	}
	if db.Count(t, "users", "email_opt_out") != 0 || db.Count(t, "audit_events", "action = 'email.unsubscribe'") != 0 {
		t.Error("a bad link changed something")
	}
}

// programNamed creates an open program with the slug.
func programNamed(t *testing.T, db *modelstest.DB, slug string) models.Program {
	t.Helper()
	p, err := db.Store.CreateProgram(t.Context(), models.CLIActor(), models.ProgramInput{Slug: slug, Name: "Referrals " + slug, Deadline: "2019-04-15"})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
