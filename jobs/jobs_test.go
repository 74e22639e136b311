package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"referrals/jobs"
	"referrals/jobs/jobstest"
	"referrals/models"
	"referrals/models/modelstest"
	"referrals/views"
)

func TestMain(m *testing.M) { os.Exit(modelstest.Run(m)) }

// startRunner works store's jobs in the background until t ends, delivering email to srv
// (nil: SMTP not configured).
func startRunner(t *testing.T, store *models.Store, srv *jobstest.SMTPServer) *jobs.Runner {
	t.Helper()
	return startRunnerWith(t, store, srv, modelstest.Emails(t))
}

// startRunnerWith is startRunner for a process whose emails are written by emails.
func startRunnerWith(t *testing.T, store *models.Store, srv *jobstest.SMTPServer, emails views.Emails) *jobs.Runner {
	t.Helper()
	cfg := jobs.Config{Store: store, Emails: emails, Log: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if srv != nil {
		cfg.Mailer = jobs.NewMailer(srv.Config())
	}
	r, err := jobs.NewRunner(cfg)
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
	return r
}

// installation is db's installation id, part of every Message-ID.
func installation(t *testing.T, db *modelstest.DB) string {
	t.Helper()
	id, err := db.Store.InstallationID(context.Background())
	if err != nil || len(id) < 16 {
		t.Fatalf("installation id %q, %v", id, err)
	}
	return id
}

// waitFor waits until done holds; jobs run in the background.
func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openProgram creates an open program: the test clock starts before its deadline.
func openProgram(t *testing.T, db *modelstest.DB) models.Program {
	t.Helper()
	p, err := db.Store.CreateProgram(context.Background(), models.CLIActor(), models.ProgramInput{
		Slug: "customer-service", Name: "Customer Service referrals", Deadline: "2019-04-15",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// freelancers creates n Top Rated U.S. freelancers: all eligible for invitations.
func freelancers(t *testing.T, db *modelstest.DB, n int) []models.User {
	t.Helper()
	var us []models.User
	for i := range n {
		u, err := db.Store.CreateUser(context.Background(), models.NewUser{
			Email: fmt.Sprintf("freelancer%d@example.com", i+1), Name: fmt.Sprintf("Freelancer %d", i+1),
			Password: "correct horse", Country: "US", TopRated: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	return us
}

func invite(t *testing.T, db *modelstest.DB, p models.Program) int {
	t.Helper()
	n, err := db.Store.InviteProgram(context.Background(), models.CLIActor(), p.Slug)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// email is the one outbox email, for tests that queue one.
func email(t *testing.T, db *modelstest.DB) models.Email {
	t.Helper()
	var e models.Email
	row := db.Store.DB().QueryRow("SELECT id, status, attempts, last_error, dedupe_key FROM emails")
	if err := row.Scan(&e.ID, &e.Status, &e.Attempts, &e.LastError, &e.DedupeKey); err != nil {
		t.Fatal(err)
	}
	return e
}

func status(t *testing.T, db *modelstest.DB, s models.EmailStatus) func() bool {
	return func() bool { return email(t, db).Status == s }
}

func TestInvitationsAreDeliveredOnceWithTextAndHTMLParts(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		srv := jobstest.StartSMTP(t)
		p := openProgram(t, db)
		invited := freelancers(t, db, 3)
		if _, err := db.Store.CreateUser(ctx, models.NewUser{Email: "ben@example.com", Name: "Ben", Password: "correct horse", Country: "US"}); err != nil {
			t.Fatal(err) // not Top Rated: no invitation
		}
		startRunner(t, db.Store, srv)

		if n := invite(t, db, p); n != 3 {
			t.Fatalf("invited %d, want 3", n)
		}
		waitFor(t, "the 3 invitations are sent", func() bool { return db.Count(t, "emails", "status = 'sent'") == 3 })

		got := map[string]jobstest.Message{}
		for _, m := range srv.Messages() {
			if len(m.To) != 1 {
				t.Fatalf("message to %v, want one recipient", m.To)
			}
			if _, dup := got[m.To[0]]; dup {
				t.Fatalf("%s got two messages", m.To[0])
			}
			got[m.To[0]] = m
		}
		if len(got) != 3 {
			t.Fatalf("%d recipients, want 3", len(got))
		}
		for _, u := range invited {
			m, ok := got[u.Email]
			if !ok {
				t.Fatalf("no invitation reached %s", u.Email)
			}
			el, err := db.Store.Eligibilities(ctx, u.ID)
			if err != nil || len(el) != 1 || el[0].Invitation == nil {
				t.Fatalf("invitation of %s: %+v, %v", u.Email, el, err)
			}
			inv := el[0].Invitation
			link := modelstest.BaseURL + "/r/" + inv.Code
			if m.From != jobstest.Sender || !strings.Contains(m.Header.Get("From"), jobstest.Sender) {
				t.Errorf("from %q / %q", m.From, m.Header.Get("From"))
			}
			if m.Header.Get("Auto-Submitted") != "auto-generated" {
				t.Errorf("Auto-Submitted %q: out-of-office replies would answer it", m.Header.Get("Auto-Submitted"))
			}
			if m.Subject != "Earn $100 for each friend you refer" {
				t.Errorf("subject %q", m.Subject)
			}
			if want := jobs.MessageID(fmt.Sprintf("invitation:%d", inv.ID), installation(t, db), jobstest.Sender); m.MessageID != want {
				t.Errorf("Message-ID %q, want %q", m.MessageID, want)
			}
			if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") {
				t.Errorf("Content-Type %q, want multipart/alternative", ct)
			}
			// RFC 8058 one-click unsubscribe, to a link that names the recipient.
			unsubscribe := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
			if !strings.HasPrefix(unsubscribe, modelstest.BaseURL+"/unsubscribe/") || m.Header.Get("List-Unsubscribe") != "<"+unsubscribe+">" {
				t.Errorf("List-Unsubscribe %q", m.Header.Get("List-Unsubscribe"))
			}
			var uid int64
			if err := modelstest.Emails(t).Unsubscribe.Decode(strings.TrimPrefix(unsubscribe, modelstest.BaseURL+"/unsubscribe/"), &uid); err != nil || uid != u.ID {
				t.Errorf("the unsubscribe link of %s is for user %d (%v), want %d", u.Email, uid, err, u.ID)
			}
			if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
				t.Errorf("List-Unsubscribe-Post %q", got)
			}
			for part, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
				for _, want := range []string{"Hi " + u.Name + ",", "$500", link, unsubscribe} {
					if !strings.Contains(body, want) {
						t.Errorf("%s part to %s lacks %q:\n%s", part, u.Email, want, body)
					}
				}
			}
			if !strings.Contains(m.HTML, `href="`+link+`"`) {
				t.Errorf("HTML part has no link to %s", link)
			}
		}
		if n := db.Count(t, "emails", "attempts = 1 AND sent_at IS NOT NULL"); n != 3 {
			t.Errorf("%d emails sent at the first attempt, want 3", n)
		}

		// A second run invites nobody, so it queues and delivers nothing more.
		if n := invite(t, db, p); n != 0 {
			t.Fatalf("second run invited %d, want 0", n)
		}
		if n := db.Count(t, "emails", ""); n != 3 {
			t.Errorf("%d emails after the second run, want 3", n)
		}
		if n := db.Count(t, "river_job", "kind = ?", "deliver_email"); n != 3 {
			t.Errorf("%d delivery jobs after the second run, want 3", n)
		}
		if n := len(srv.Messages()); n != 3 {
			t.Errorf("%d messages delivered, want 3", n)
		}
	})
}

func TestTwoConcurrentRunnersOnOnePostgresDatabaseDeliverEachEmailOnce(t *testing.T) {
	db := modelstest.Postgres(t)
	ctx := context.Background()
	srv := jobstest.StartSMTP(t)
	p := openProgram(t, db)
	freelancers(t, db, 24)
	if n := invite(t, db, p); n != 24 {
		t.Fatalf("invited %d, want 24", n)
	}

	// A second Store on the same database, as another instance would have.
	queue, err := jobs.NewQueue(models.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	other, err := models.Open(ctx, models.Options{DatabaseURL: db.URL, Clock: db.Clock, Jobs: queue})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	startRunner(t, db.Store, srv)
	startRunner(t, other, srv)

	waitFor(t, "all 24 invitations are sent", func() bool { return db.Count(t, "emails", "status = 'sent'") == 24 })
	srv.CheckEachOnce(t, 24)
	if n := db.Count(t, "emails", "attempts = 1"); n != 24 {
		t.Errorf("%d emails took one attempt, want all 24", n)
	}
}

func TestATemporarySMTPFailureIsRetriedUntilSent(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		srv := jobstest.StartSMTP(t)
		calls := 0
		srv.Reply(func([]string) error {
			calls++
			if calls == 1 {
				return jobstest.Temporary
			}
			return nil
		})
		p := openProgram(t, db)
		freelancers(t, db, 1)
		startRunner(t, db.Store, srv)
		invite(t, db, p)

		waitFor(t, "the invitation is sent", status(t, db, models.EmailSent))
		e := email(t, db)
		if e.Attempts != 2 || e.LastError != "" {
			t.Errorf("attempts %d, last error %q; want 2 and none", e.Attempts, e.LastError)
		}
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("%d messages arrived, want 1", n)
		}
	})
}

func TestAPermanentSMTPFailureMarksTheEmailFailed(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		srv := jobstest.StartSMTP(t)
		srv.Reply(func([]string) error { return jobstest.Permanent })
		p := openProgram(t, db)
		freelancers(t, db, 1)
		startRunner(t, db.Store, srv)
		invite(t, db, p)

		waitFor(t, "the invitation fails", status(t, db, models.EmailFailed))
		e := email(t, db)
		if e.Attempts != 1 || !strings.Contains(e.LastError, "550") {
			t.Errorf("attempts %d, last error %q; want 1 and the server's 550", e.Attempts, e.LastError)
		}
		waitFor(t, "River cancels the job", func() bool {
			return db.Count(t, "river_job", "kind = 'deliver_email' AND state = 'cancelled'") == 1
		})
	})
}

func TestAnEmailOutOfAttemptsFails(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		srv := jobstest.StartSMTP(t)
		srv.Reply(func([]string) error { return jobstest.Temporary })
		p := openProgram(t, db)
		freelancers(t, db, 1)
		invite(t, db, p)
		// Make the first attempt the last one, rather than wait out River's backoff.
		if _, err := db.Store.DB().Exec("UPDATE river_job SET max_attempts = 1"); err != nil {
			t.Fatal(err)
		}
		startRunner(t, db.Store, srv)

		waitFor(t, "the invitation fails", status(t, db, models.EmailFailed))
		if e := email(t, db); !strings.Contains(e.LastError, "gave up after 1 attempts") || !strings.Contains(e.LastError, "451") {
			t.Errorf("last error %q; want the attempts and the server's 451", e.LastError)
		}
	})
}

func TestAnInterruptedSendIsMarkedFailedRatherThanSentTwice(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		srv := jobstest.StartSMTP(t)
		p := openProgram(t, db)
		freelancers(t, db, 1)
		invite(t, db, p)
		// An attempt claimed the email, and its process died before recording whether
		// the server accepted it.
		if _, claimed, err := db.Store.ClaimEmail(context.Background(), email(t, db).ID); err != nil || !claimed {
			t.Fatalf("claim: %v, %v", claimed, err)
		}
		startRunner(t, db.Store, srv)

		waitFor(t, "the invitation is marked failed", status(t, db, models.EmailFailed))
		e := email(t, db)
		if want := jobs.MessageID(e.DedupeKey, installation(t, db), jobstest.Sender); !strings.Contains(e.LastError, want) {
			t.Errorf("last error %q does not name Message-ID %s", e.LastError, want)
		}
		if e.Attempts != 1 || len(srv.Messages()) != 0 {
			t.Errorf("attempts %d, %d messages: the email was sent again", e.Attempts, len(srv.Messages()))
		}
	})
}

func TestStopLetsARunningDeliveryFinish(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		srv := jobstest.StartSMTP(t)
		sending, release := make(chan struct{}), make(chan struct{})
		srv.Reply(func([]string) error {
			close(sending)
			<-release
			return nil
		})
		p := openProgram(t, db)
		freelancers(t, db, 1)
		r, err := jobs.NewRunner(jobs.Config{Store: db.Store, Mailer: jobs.NewMailer(srv.Config()), Emails: modelstest.Emails(t), Log: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		invite(t, db, p)
		select {
		case <-sending:
		case <-time.After(90 * time.Second):
			t.Fatal("the delivery never started")
		}

		stopped := make(chan error)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			stopped <- r.Stop(ctx)
		}()
		close(release)
		if err := <-stopped; err != nil {
			t.Fatalf("stop: %v", err)
		}
		if e := email(t, db); e.Status != models.EmailSent {
			t.Errorf("after stopping, the email is %s, want sent", e.Status)
		}
	})
}

// insertJob queues a job as River's leader would.
func insertJob(t *testing.T, db *modelstest.DB, args river.JobArgs) {
	t.Helper()
	var driver riverdriver.Driver[*sql.Tx] = riversqlite.New(db.Store.DB())
	if db.Store.Dialect() == models.Postgres {
		driver = riverdatabasesql.New(db.Store.DB())
	}
	client, err := river.NewClient(driver, &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Insert(context.Background(), args, nil); err != nil {
		t.Fatal(err)
	}
}

func TestTheRemindersJobRemindsEachReferrerOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		p := openProgram(t, db)
		freelancers(t, db, 2)
		invite(t, db, p)
		db.Clock.Advance(8 * 24 * time.Hour) // past the 7 days of R2
		// Two runs, as after a change of leader: the second finds nothing due.
		insertJob(t, db, jobs.SendRemindersArgs{})
		insertJob(t, db, jobs.SendRemindersArgs{})
		startRunner(t, db.Store, nil)

		waitFor(t, "both runs complete", func() bool {
			return db.Count(t, "river_job", "kind = 'send_reminders' AND state = 'completed'") == 2
		})
		if n := db.Count(t, "emails", "kind = 'reminder'"); n != 2 {
			t.Errorf("%d reminders, want 2", n)
		}
		if n := db.Count(t, "invitations", "reminded_at IS NOT NULL"); n != 2 {
			t.Errorf("%d invitations reminded, want 2", n)
		}
		// Without SMTP, every email waits in the outbox, its delivery job with it.
		if n := db.Count(t, "emails", "status = 'queued'"); n != 4 {
			t.Errorf("%d emails queued, want all 4", n)
		}
		if n := db.Count(t, "river_job", "kind = 'deliver_email' AND state = 'available'"); n != 4 {
			t.Errorf("%d delivery jobs waiting, want 4", n)
		}
	})
}

func TestTheRunnerReportsEachJobsOutcome(t *testing.T) {
	db := modelstest.SQLite(t)
	srv := jobstest.StartSMTP(t)
	p := openProgram(t, db)
	freelancers(t, db, 2)
	var mu sync.Mutex
	outcomes := map[string]int{}
	r, err := jobs.NewRunner(jobs.Config{Store: db.Store, Mailer: jobs.NewMailer(srv.Config()), Emails: modelstest.Emails(t), Log: slog.New(slog.DiscardHandler),
		Finished: func(kind, state string) {
			mu.Lock()
			defer mu.Unlock()
			outcomes[kind+" "+state]++
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())
	invite(t, db, p)
	waitFor(t, "both outcomes are reported", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return outcomes["deliver_email completed"] == 2
	})
}

func TestTheSenderWritesEmailsWithItsBaseURLAndOnlyMarketingMailCanBeLeft(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		srv := jobstest.StartSMTP(t)
		p := openProgram(t, db)
		u := freelancers(t, db, 1)[0]
		// Queued by a command run without BASE_URL, as it were: nothing in the outbox
		// names an address yet.
		invite(t, db, p)
		if err := db.Store.EmailSignInLink(ctx, u.Email, "192.0.2.1", func(models.User, time.Time) string { return "/login/link/TOKEN" }); err != nil {
			t.Fatal(err)
		}
		sender, err := views.NewEmails("https://referrals.example.com", "Acme Work", modelstest.SessionSecret)
		if err != nil {
			t.Fatal(err)
		}
		startRunnerWith(t, db.Store, srv, sender)
		waitFor(t, "both emails are sent", func() bool { return db.Count(t, "emails", "status = 'sent'") == 2 })

		byKind := map[string]jobstest.Message{}
		for _, m := range srv.Messages() {
			if strings.Contains(m.Subject, "sign-in") {
				byKind["sign_in_link"] = m
			} else {
				byKind["invitation"] = m
			}
		}
		inv, link := byKind["invitation"], byKind["sign_in_link"]
		for kind, m := range byKind {
			if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") || m.Text == "" || m.HTML == "" {
				t.Errorf("%s: %s with text %d and HTML %d bytes; want both parts", kind, ct, len(m.Text), len(m.HTML))
			}
			if strings.Contains(m.Text+m.HTML, "referrals.test") || strings.Contains(m.Text+m.HTML, "localhost") {
				t.Errorf("%s links to another address than the sender's", kind)
			}
		}
		if !strings.Contains(inv.Text, "https://referrals.example.com/r/") || !strings.Contains(inv.HTML, `href="https://referrals.example.com/r/`) {
			t.Errorf("the invite link does not start with the sender's BASE_URL:\n%s", inv.Text)
		}
		if !strings.HasPrefix(inv.Header.Get("List-Unsubscribe"), "<https://referrals.example.com/unsubscribe/") || inv.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
			t.Errorf("invitation: List-Unsubscribe %q, -Post %q", inv.Header.Get("List-Unsubscribe"), inv.Header.Get("List-Unsubscribe-Post"))
		}
		if !strings.Contains(link.Text, "https://referrals.example.com/login/link/TOKEN") {
			t.Errorf("the sign-in link does not start with the sender's BASE_URL:\n%s", link.Text)
		}
		if _, ok := link.Header["List-Unsubscribe"]; ok || link.Header.Get("List-Unsubscribe-Post") != "" || strings.Contains(link.Text+link.HTML, "nsubscribe") {
			t.Errorf("a transactional email offers to unsubscribe: %v", link.Header)
		}
		// The outbox keeps what went out.
		if n := db.Count(t, "emails", "status = 'sent' AND subject <> '' AND body_html LIKE '%Acme Work%'"); n != 2 {
			t.Errorf("%d sent emails keep their content, want 2", n)
		}
	})
}
