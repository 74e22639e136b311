package models_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"referrals/models"
	"referrals/models/modelstest"
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

		if err := db.Store.FinishEmailAttempt(ctx, id, models.EmailSent, ""); err != nil {
			t.Fatal(err)
		}
		if err := db.Store.FinishEmailAttempt(ctx, id, models.EmailFailed, "late"); !errors.Is(err, models.ErrEmailNotSending) {
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
		if err := db.Store.FinishEmailAttempt(ctx, id, models.EmailQueued, "451 try again later"); err != nil {
			t.Fatal(err)
		}
		if db.Count(t, "emails", "status = 'queued' AND last_error = '451 try again later'") != 1 {
			t.Error("the retry's reason is not kept")
		}
		if _, claimed, err := db.Store.ClaimEmail(ctx, id); err != nil || !claimed {
			t.Fatalf("second claim: %v %v", claimed, err)
		}
		if err := db.Store.FinishEmailAttempt(ctx, id, models.EmailSent, ""); err != nil {
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
		if err := db.Store.FinishEmailAttempt(ctx, id, models.EmailFailed, "550 no such mailbox"); err != nil {
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
