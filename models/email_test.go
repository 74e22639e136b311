package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
	"referrals/views"
)

func TestEachQueuedEmailComesWithOneDeliveryJob(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p := program(t, db)
		user(t, db, models.NewUser{Email: "maria@example.com", Country: "US", TopRated: true})
		user(t, db, models.NewUser{Email: "alex@example.com", Country: "US", TopRated: true})
		for range 2 {
			if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), p.Slug); err != nil {
				t.Fatal(err)
			}
		}
		if emails, jobs := db.Count(t, "emails", ""), db.Count(t, "river_job", "kind = 'deliver_email'"); emails != 2 || jobs != 2 {
			t.Errorf("%d emails and %d delivery jobs, want 2 and 2", emails, jobs)
		}
	})
}

// queuedEmail queues one invitation and returns its id.
func queuedEmail(t *testing.T, db *modelstest.DB) int64 {
	t.Helper()
	p := program(t, db)
	user(t, db, models.NewUser{Email: "maria@example.com", Country: "US", TopRated: true})
	if _, err := db.Store.InviteProgram(context.Background(), models.CLIActor(), p.Slug); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.Store.DB().QueryRow("SELECT id FROM emails").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestConcurrentAttemptsClaimAnEmailOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		id := queuedEmail(t, db)
		var claims atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				_, claimed, err := db.Store.ClaimEmail(ctx, id)
				if err != nil {
					t.Error(err)
				}
				if claimed {
					claims.Add(1)
				}
			})
		}
		wg.Wait()
		if n := claims.Load(); n != 1 {
			t.Fatalf("%d attempts claimed the email, want 1", n)
		}
		if db.Count(t, "emails", "status = 'sending' AND attempts = 1") != 1 {
			t.Error("the claimed email is not sending with one attempt")
		}

		if err := db.Store.FinishEmailAttempt(ctx, id, models.EmailSent, "", nil); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.FinishEmailAttempt(ctx, id, models.EmailFailed, "late", nil); !errors.Is(err, models.ErrEmailNotSending) {
			t.Errorf("a second outcome: %v, want ErrEmailNotSending", err)
		}
		e, claimed, err := db.Store.ClaimEmail(ctx, id)
		if err != nil || claimed || e.Status != models.EmailSent || e.SentAt == nil {
			t.Errorf("claiming a sent email: %v %v %+v", claimed, err, e)
		}
	})
}

func TestAFailedAttemptKeepsItsErrorUntilSent(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		id := queuedEmail(t, db)
		if _, _, err := db.Store.ClaimEmail(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.FinishEmailAttempt(ctx, id, models.EmailQueued, "451 try again later", nil); err != nil {
			t.Fatal(err)
		}
		if db.Count(t, "emails", "status = 'queued' AND last_error = '451 try again later'") != 1 {
			t.Error("the retry's reason is not kept")
		}
		if _, claimed, err := db.Store.ClaimEmail(ctx, id); err != nil || !claimed {
			t.Fatalf("second claim: %v %v", claimed, err)
		}
		if err := db.Store.FinishEmailAttempt(ctx, id, models.EmailSent, "", nil); err != nil {
			t.Fatal(err)
		}
		if db.Count(t, "emails", "status = 'sent' AND attempts = 2 AND last_error = ''") != 1 {
			t.Error("a sent email should show two attempts and no error")
		}
	})
}

func TestAFailedEmailCanBeQueuedAgainOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		id := queuedEmail(t, db)
		if err := db.Store.RetryEmail(ctx, models.CLIActor(), id); !errors.Is(err, models.ErrEmailNotFailed) {
			t.Fatalf("retrying a queued email: %v, want ErrEmailNotFailed", err)
		}
		if _, _, err := db.Store.ClaimEmail(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.FinishEmailAttempt(ctx, id, models.EmailFailed, "550 no such mailbox", nil); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.RetryEmail(ctx, models.CLIActor(), id); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.RetryEmail(ctx, models.CLIActor(), id); !errors.Is(err, models.ErrEmailNotFailed) {
			t.Errorf("a second retry: %v, want ErrEmailNotFailed", err)
		}
		if db.Count(t, "emails", "status = 'queued'") != 1 || db.Count(t, "river_job", "kind = 'deliver_email'") != 2 {
			t.Error("the retried email should be queued with a new delivery job")
		}
		if db.Count(t, "audit_events", "action = 'email.retry'") != 1 {
			t.Error("the retry was not audited")
		}
		if err := db.Store.RetryEmail(ctx, models.CLIActor(), id+100); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("retrying an unknown email: %v, want ErrNotFound", err)
		}
	})
}

func TestAnEmailIsQueuedAsFactsAndWrittenOutBySender(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		id := queuedEmail(t, db)
		// Nothing is written out when it is queued: the sender does it.
		if db.Count(t, "emails", "subject = '' AND body_text = '' AND body_html = '' AND facts IS NOT NULL AND program_id IS NOT NULL") != 1 {
			t.Fatal("the queued email is not kept as facts")
		}
		e, claimed, err := db.Store.ClaimEmail(ctx, id)
		if err != nil || !claimed {
			t.Fatalf("claim: %v %v", claimed, err)
		}
		sender, err := views.NewEmails("https://sender.example", "Acme Work", modelstest.SessionSecret)
		if err != nil {
			t.Fatal(err)
		}
		content, err := db.Store.WriteEmail(ctx, e, sender)
		if err != nil {
			t.Fatal(err)
		}
		var code string
		if err := db.Store.DB().QueryRow("SELECT code FROM invitations").Scan(&code); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Hi Test Person", "https://sender.example/r/" + code, "new to Acme Work", "Unsubscribe: https://sender.example/unsubscribe/"} {
			if !strings.Contains(content.Text, want) {
				t.Errorf("the text part lacks %q:\n%s", want, content.Text)
			}
		}
		if !strings.HasPrefix(content.Unsubscribe, "https://sender.example/unsubscribe/") {
			t.Errorf("unsubscribe link %q", content.Unsubscribe)
		}
		// What was sent is kept.
		if err := db.Store.FinishEmailAttempt(ctx, id, models.EmailSent, "", &content); err != nil {
			t.Fatal(err)
		}
		sent, err := db.Store.OutboxEmail(ctx, id)
		if err != nil || sent.Subject != content.Subject || sent.BodyText != content.Text || sent.BodyHTML != content.HTML || !sent.Written() {
			t.Errorf("the outbox keeps %+v, %v", sent, err)
		}
	})
}

func TestAnEmailQueuedByTheFirstReleaseIsSentAsItWasWritten(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		id := queuedEmail(t, db)
		db.Exec(t, "UPDATE emails SET facts = NULL, subject = 'Old subject', body_text = 'old text', body_html = '<p>old</p>' WHERE id = ?", id)
		e, err := db.Store.OutboxEmail(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.Store.WriteEmail(ctx, e, modelstest.Emails(t))
		if err != nil || c.Subject != "Old subject" || c.Text != "old text" || c.HTML != "<p>old</p>" {
			t.Errorf("written %+v, %v; want the stored content", c, err)
		}
	})
}

func TestUnsubscribingCancelsQueuedMarketingEmailOnly(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		id := queuedEmail(t, db)
		maria, err := db.Store.UserByEmail(ctx, "maria@example.com")
		if err != nil {
			t.Fatal(err)
		}
		// A transactional email to her, queued too: it must still go.
		if err := db.Store.EmailSignInLink(ctx, maria.Email, "192.0.2.1", func(models.User, time.Time) string { return "/login/link/x" }); err != nil {
			t.Fatal(err)
		}
		u, err := db.Store.Unsubscribe(ctx, maria.ID, "192.0.2.7")
		if err != nil || !u.EmailOptOut {
			t.Fatalf("unsubscribe: %+v, %v", u, err)
		}
		if db.Count(t, "users", "id = ? AND email_opt_out", maria.ID) != 1 {
			t.Error("email_opt_out is not set")
		}
		if db.Count(t, "emails", "id = ? AND status = 'cancelled'", id) != 1 {
			t.Error("the queued invitation was not cancelled")
		}
		if db.Count(t, "emails", "kind = 'sign_in_link' AND status = 'queued'") != 1 {
			t.Error("the sign-in link email was cancelled too")
		}
		if n := db.Count(t, "audit_events", "action = 'email.unsubscribe' AND actor_id = ? AND ip = '192.0.2.7'", maria.ID); n != 1 {
			t.Errorf("%d audit events, want 1 by maria from her address", n)
		}
		// Mail providers may post twice: nothing more happens.
		if _, err := db.Store.Unsubscribe(ctx, maria.ID, "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		if n := db.Count(t, "audit_events", "action = 'email.unsubscribe'"); n != 1 {
			t.Errorf("%d audit events after a second unsubscribe, want 1", n)
		}
		// The delivery job finds it cancelled and sends nothing.
		if e, claimed, err := db.Store.ClaimEmail(ctx, id); err != nil || claimed || e.Status != models.EmailCancelled {
			t.Errorf("claiming a cancelled email: %v %v %s", claimed, err, e.Status)
		}
		if _, err := db.Store.Unsubscribe(ctx, maria.ID+1000, ""); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown user: %v, want ErrNotFound", err)
		}
	})
}

func TestAMarketingEmailToSomeoneWhoOptedOutSinceIsCancelledNotSent(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		id := queuedEmail(t, db)
		// The marketplace reports the opt-out (the API), not an unsubscribe link.
		yes := true
		db.FixtureProfile(t, models.FreelancerProfile{Email: "maria@example.com", EmailOptOut: &yes})
		e, claimed, err := db.Store.ClaimEmail(ctx, id)
		if err != nil || claimed || e.Status != models.EmailCancelled || e.Attempts != 0 {
			t.Errorf("claim: %v %v, %s after %d attempts; want cancelled before any", claimed, err, e.Status, e.Attempts)
		}
	})
}

func TestEachDatabaseHasItsOwnInstallationID(t *testing.T) {
	a, b := modelstest.SQLite(t), modelstest.SQLite(t)
	ctx := context.Background()
	idA, err := a.Store.InstallationID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	idB, err := b.Store.InstallationID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(idA) != 32 || idA == idB {
		t.Errorf("installation ids %q and %q: want two different random ids", idA, idB)
	}
}

// A marketplace that sends every profile with "email_opt_out": false each night must not
// undo an unsubscribe: only the person turns marketing email back on, in /settings.
func TestAnUnsubscribeSticksAgainstTheMarketplaceSync(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		queuedEmail(t, db)
		maria, err := db.Store.UserByEmail(ctx, "maria@example.com")
		if err != nil {
			t.Fatal(err)
		}
		no, yes := false, true
		optedOut := func() bool { return db.Count(t, "users", "id = ? AND email_opt_out", maria.ID) == 1 }

		if _, err := db.Store.Unsubscribe(ctx, maria.ID, "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		db.FixtureProfile(t, models.FreelancerProfile{Email: maria.Email, EmailOptOut: &no})
		if !optedOut() {
			t.Fatal("the marketplace's sync turned marketing email back on after she unsubscribed")
		}

		if err := db.Store.SetMarketingEmails(ctx, maria.ID, true, "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		if optedOut() {
			t.Fatal("turning marketing email on in her settings did not take")
		}
		// Back on by her own choice, the marketplace's preference applies again both ways.
		db.FixtureProfile(t, models.FreelancerProfile{Email: maria.Email, EmailOptOut: &yes})
		if !optedOut() {
			t.Error("the marketplace's opt-out did not apply")
		}
		db.FixtureProfile(t, models.FreelancerProfile{Email: maria.Email, EmailOptOut: &no})
		if optedOut() {
			t.Error("the marketplace's opt-in did not apply to an opt-out it had set itself")
		}

		// Turning it off in her settings sticks like the link.
		if err := db.Store.SetMarketingEmails(ctx, maria.ID, false, "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		db.FixtureProfile(t, models.FreelancerProfile{Email: maria.Email, EmailOptOut: &no})
		if !optedOut() {
			t.Error("the marketplace's sync undid her choice in settings")
		}
	})
}
