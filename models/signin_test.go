package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// testLink writes the path of a recognisable sign-in link (the real one is signed by the
// handlers).
func testLink(u models.User, expires time.Time) string {
	return fmt.Sprintf("/login/link/u%dv%de%d", u.ID, u.SessionVersion, expires.Unix())
}

func askForLink(t *testing.T, db *modelstest.DB, email string) {
	t.Helper()
	if err := db.Store.EmailSignInLink(context.Background(), email, "192.0.2.1", testLink); err != nil {
		t.Fatalf("sign-in link for %s: %v", email, err)
	}
}

func signInLinkEmails(t *testing.T, db *modelstest.DB, to string) int64 {
	t.Helper()
	return db.Count(t, "emails", "kind = 'sign_in_link' AND recipient = ?", to)
}

func TestSignInLinkEmailsGoAtMostOncePerFiveMinutesPerAccount(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		u := user(t, db, models.NewUser{Email: "maria@example.com", Country: "US"})
		for range 3 {
			askForLink(t, db, " MARIA@example.com")
			db.Clock.Advance(time.Minute)
		}
		if n := signInLinkEmails(t, db, u.Email); n != 1 {
			t.Fatalf("%d emails for three requests within five minutes, want 1", n)
		}
		body := db.WrittenEmails(t, "")[0].Content.Text
		if want := modelstest.BaseURL + testLink(u, modelstest.Start.Add(models.SignInLinkTTL)); !strings.Contains(body, want) {
			t.Errorf("the email does not carry the link %s, valid 30 minutes:\n%s", want, body)
		}
		db.Clock.Advance(5 * time.Minute)
		askForLink(t, db, u.Email)
		if n := signInLinkEmails(t, db, u.Email); n != 2 {
			t.Errorf("%d emails after five more minutes, want 2", n)
		}
		if n := db.Count(t, "river_job", "kind = 'deliver_email'"); n != 2 {
			t.Errorf("%d delivery jobs, want one per email", n)
		}
	})
}

func TestASignInLinkForAnUnknownAddressSendsNothingAndSaysNothing(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		askForLink(t, db, "nobody@example.com")
		if n := db.Count(t, "emails", ""); n != 0 {
			t.Errorf("%d emails for an address without an account", n)
		}
	})
}

func TestOptedOutFreelancersStillGetSignInLinks(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		user(t, db, models.NewUser{Email: "maria@example.com", Country: "US"})
		if _, err := db.Store.UpsertFreelancers(context.Background(), []models.FreelancerProfile{{Email: "maria@example.com", EmailOptOut: ptr(true)}}); err != nil {
			t.Fatal(err)
		}
		askForLink(t, db, "maria@example.com")
		if n := signInLinkEmails(t, db, "maria@example.com"); n != 1 {
			t.Errorf("%d sign-in links to an opted-out freelancer, want 1 (it is transactional)", n)
		}
	})
}

func TestAFreelancerCreatedByTheMarketplaceGetsASignInLink(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		res, err := db.Store.UpsertFreelancers(ctx, []models.FreelancerProfile{{Email: "lee@example.com", Name: ptr("Lee Chen"), Country: ptr("US")}})
		if err != nil || res[0].Status != models.ProfileCreated {
			t.Fatalf("create: %+v, %v", res, err)
		}
		askForLink(t, db, "lee@example.com")
		if n := signInLinkEmails(t, db, "lee@example.com"); n != 1 {
			t.Fatalf("%d sign-in links to a freelancer without a password, want 1", n)
		}
		u, err := db.Store.SignInWithLink(ctx, res[0].UserID, 1, "192.0.2.1")
		if err != nil || u.Email != "lee@example.com" {
			t.Errorf("signing in with the link: %+v, %v", u, err)
		}
	})
}

func TestSignInLinkRequestsFromOneAddressAreLimited(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		for i := range 10 {
			askForLink(t, db, fmt.Sprintf("someone%d@example.com", i))
		}
		err := db.Store.EmailSignInLink(ctx, "another@example.com", "192.0.2.1", testLink)
		if !errors.Is(err, models.ErrTooManyAttempts) {
			t.Fatalf("11th request from one address: %v, want ErrTooManyAttempts", err)
		}
		if err := db.Store.EmailSignInLink(ctx, "another@example.com", "198.51.100.7", testLink); err != nil {
			t.Errorf("another address was refused too: %v", err)
		}
		db.Clock.Advance(16 * time.Minute)
		askForLink(t, db, "another@example.com")
	})
}

func TestASignInLinkWorksOnceAndEndsTheOtherSessions(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		u := user(t, db, models.NewUser{Email: "maria@example.com", Country: "US"})
		if _, err := db.Store.SignInLinkUser(ctx, u.ID, u.SessionVersion); err != nil {
			t.Fatalf("a fresh link: %v", err)
		}
		in, err := db.Store.SignInWithLink(ctx, u.ID, u.SessionVersion, "192.0.2.9")
		if err != nil {
			t.Fatal(err)
		}
		if in.SessionVersion != u.SessionVersion+1 {
			t.Errorf("session version %d after using the link, want %d (other sessions end)", in.SessionVersion, u.SessionVersion+1)
		}
		if n := db.Count(t, "user_ips", "user_id = ? AND ip = '192.0.2.9'", u.ID); n != 1 {
			t.Error("the address the link was used from is not remembered (R12 same_ip)")
		}
		if _, err := db.Store.SignInWithLink(ctx, u.ID, u.SessionVersion, "192.0.2.9"); !errors.Is(err, models.ErrSignInLinkUsed) {
			t.Errorf("second use: %v, want ErrSignInLinkUsed", err)
		}
		if _, err := db.Store.SignInLinkUser(ctx, u.ID, u.SessionVersion); !errors.Is(err, models.ErrSignInLinkUsed) {
			t.Errorf("a used link still shows its user: %v", err)
		}
		// Signing out ends links not yet used, like sessions.
		if err := db.Store.EndSessions(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.SignInWithLink(ctx, u.ID, in.SessionVersion, ""); !errors.Is(err, models.ErrSignInLinkUsed) {
			t.Errorf("a link sent before signing out: %v, want ErrSignInLinkUsed", err)
		}
		if _, err := db.Store.SignInWithLink(ctx, 999999, 1, ""); !errors.Is(err, models.ErrSignInLinkUsed) {
			t.Errorf("a link of no user: %v, want ErrSignInLinkUsed", err)
		}
	})
}

func TestOneSignInLinkUsedConcurrentlySignsInOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		u := user(t, db, models.NewUser{Email: "maria@example.com", Country: "US"})
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				_, err := db.Store.SignInWithLink(context.Background(), u.ID, u.SessionVersion, "192.0.2.1")
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, models.ErrSignInLinkUsed):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d sign-ins with one link, want 1", wins.Load())
		}
	})
}
