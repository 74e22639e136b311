package models_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

func newFreelancer(email string) models.NewUser {
	return models.NewUser{Email: email, Name: "Test Person", Password: "correct horse", Country: "US", TopRated: true}
}

func TestCreateUserRefusesAnEmailInAnotherLetterCase(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		u, err := db.Store.CreateUser(ctx, newFreelancer("Maria@Example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "maria@example.com" {
			t.Errorf("stored email %q, want it lower-cased", u.Email)
		}
		_, err = db.Store.CreateUser(ctx, newFreelancer("  MARIA@example.COM "))
		if !errors.Is(err, models.ErrEmailTaken) {
			t.Fatalf("second account for the same email: err = %v, want ErrEmailTaken", err)
		}
		if n := db.Count(t, "users", ""); n != 1 {
			t.Fatalf("%d users, want 1", n)
		}
	})
}

func TestCreateUserValidatesEveryField(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, err := db.Store.CreateUser(context.Background(), models.NewUser{Email: "not-an-email", Name: " ", Password: "short", Country: "USA"})
		fe, ok := models.AsFieldErrors(err)
		if !ok {
			t.Fatalf("err = %v, want field errors", err)
		}
		for _, field := range []string{"email", "name", "password", "country"} {
			if fe[field] == "" {
				t.Errorf("no error for %s", field)
			}
		}
		if n := db.Count(t, "users", ""); n != 0 {
			t.Fatalf("%d users created from invalid input", n)
		}
	})
}

func TestLongPasswordsAreHashedWhole(t *testing.T) {
	long := ""
	for range 20 {
		long += "abcdefghij"
	}
	hash, err := models.HashPassword(long)
	if err != nil {
		t.Fatal(err)
	}
	if !models.CheckPassword(hash, long) {
		t.Fatal("a 200-character password does not match its own hash")
	}
	if models.CheckPassword(hash, long[:72]) {
		t.Fatal("a password matched after truncation to 72 bytes")
	}
}

func TestAuthenticate(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		created, err := db.Store.CreateUser(ctx, newFreelancer("ana@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		u, err := db.Store.Authenticate(ctx, " ANA@example.com", "correct horse", "192.0.2.1")
		if err != nil || u.ID != created.ID {
			t.Fatalf("good credentials: user %d, err %v", u.ID, err)
		}
		if db.Count(t, "user_ips", "user_id = ? AND ip = ?", created.ID, "192.0.2.1") != 1 {
			t.Error("the sign-in IP was not remembered")
		}
		if _, err := db.Store.Authenticate(ctx, "ana@example.com", "wrong horse", "192.0.2.1"); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("wrong password: err = %v", err)
		}
		if _, err := db.Store.Authenticate(ctx, "nobody@example.com", "correct horse", "192.0.2.1"); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("unknown email: err = %v", err)
		}
	})
}

func TestRepeatedFailuresPauseSignInForThatAccountFromThatAddress(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		if _, err := db.Store.CreateUser(ctx, newFreelancer("ana@example.com")); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if _, err := db.Store.Authenticate(ctx, "ana@example.com", "guess", "198.51.100.1"); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if _, err := db.Store.Authenticate(ctx, "ana@example.com", "correct horse", "198.51.100.1"); !errors.Is(err, models.ErrTooManyAttempts) {
			t.Fatalf("after 5 failures from one address, the right password from it: err = %v, want ErrTooManyAttempts", err)
		}
		// The owner, elsewhere, is not locked out by someone guessing.
		if _, err := db.Store.Authenticate(ctx, "ana@example.com", "correct horse", "203.0.113.9"); err != nil {
			t.Fatalf("the owner from another address: %v", err)
		}
		db.Clock.Advance(16 * time.Minute)
		if _, err := db.Store.Authenticate(ctx, "ana@example.com", "correct horse", "198.51.100.1"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestManyFailuresFromManyAddressesPauseTheAccountEverywhere(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		if _, err := db.Store.CreateUser(ctx, newFreelancer("ana@example.com")); err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			ip := "198.51.100." + strconv.Itoa(i+1)
			if _, err := db.Store.Authenticate(ctx, "ana@example.com", "guess", ip); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if _, err := db.Store.Authenticate(ctx, "ana@example.com", "correct horse", "203.0.113.9"); !errors.Is(err, models.ErrTooManyAttempts) {
			t.Fatalf("after 50 failures from 50 addresses: err = %v, want ErrTooManyAttempts", err)
		}
	})
}

func TestRepeatedFailuresPauseSignInFromThatIP(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		if _, err := db.Store.CreateUser(ctx, newFreelancer("ana@example.com")); err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			email := "probe" + strconv.Itoa(i) + "@example.com"
			if _, err := db.Store.Authenticate(ctx, email, "guess", "192.0.2.66"); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if _, err := db.Store.Authenticate(ctx, "ana@example.com", "correct horse", "192.0.2.66"); !errors.Is(err, models.ErrTooManyAttempts) {
			t.Fatalf("from a noisy IP: err = %v, want ErrTooManyAttempts", err)
		}
		if _, err := db.Store.Authenticate(ctx, "ana@example.com", "correct horse", "192.0.2.67"); err != nil {
			t.Fatalf("from another IP: %v", err)
		}
	})
}

func TestEndSessionsBumpsTheSessionVersion(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		u, err := db.Store.CreateUser(ctx, newFreelancer("ana@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Store.EndSessions(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		after, err := db.Store.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.SessionVersion != u.SessionVersion+1 {
			t.Fatalf("session version %d -> %d, want +1", u.SessionVersion, after.SessionVersion)
		}
	})
}

// sign_in_failures keeps only the last window's attempts: each new one purges what aged
// out, whatever its bucket, so addresses and accounts never seen again leave nothing.
func TestOldRateLimitAttemptsArePurged(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		for i := range 4 {
			ip := "198.51.100." + strconv.Itoa(i+1)
			if _, err := db.Store.Authenticate(ctx, "nobody"+strconv.Itoa(i)+"@example.com", "guess", ip); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatal(err)
			}
		}
		if err := db.Store.EmailSignInLink(ctx, "nobody@example.com", "198.51.100.9", func(models.User, time.Time) string { return "" }); err != nil {
			t.Fatal(err)
		}
		if n := db.Count(t, "sign_in_failures", ""); n != 13 {
			t.Fatalf("%d rows after 4 failed sign-ins and a link request, want 13", n)
		}
		db.Clock.Advance(10 * time.Minute)
		if _, err := db.Store.Authenticate(ctx, "someone@example.com", "guess", "203.0.113.1"); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatal(err)
		}
		if n := db.Count(t, "sign_in_failures", ""); n != 16 {
			t.Fatalf("%d rows 10 minutes later, want all 16 (still in the window)", n)
		}
		db.Clock.Advance(6 * time.Minute)
		if _, err := db.Store.Authenticate(ctx, "someone-else@example.com", "guess", "203.0.113.2"); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatal(err)
		}
		if n := db.Count(t, "sign_in_failures", ""); n != 6 {
			t.Fatalf("%d rows once the first attempts aged out, want the 6 of the last window", n)
		}
	})
}
