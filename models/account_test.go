package models_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// enrolled creates a member of staff with role r enrolled in two-factor sign-in, and
// returns them with their secret and recovery codes.
func enrolled(t *testing.T, db *modelstest.DB, email string, r models.Role) (models.User, string, []string) {
	t.Helper()
	u := user(t, db, models.NewUser{Email: email, Country: "US", Role: r})
	key, err := models.NewTOTPKey(email)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := models.TOTPCode(key.Secret, db.Clock.Now())
	u, codes, err := db.Store.EnrolTOTP(context.Background(), u.ID, key.Secret, code, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	return u, key.Secret, codes
}

func TestEnrolmentUsesTheCodeAndEndsEarlierSessions(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		u := user(t, db, models.NewUser{Email: "rita@example.com", Country: "US", Role: models.RoleReviewer})
		key, _ := models.NewTOTPKey(u.Email)
		if _, _, err := db.Store.EnrolTOTP(ctx, u.ID, key.Secret, "000000", ""); err == nil {
			t.Fatal("a wrong code enrolled")
		}
		code, _ := models.TOTPCode(key.Secret, db.Clock.Now())
		after, codes, err := db.Store.EnrolTOTP(ctx, u.ID, key.Secret, code, "")
		if err != nil || len(codes) != models.RecoveryCodeCount || !after.MFAEnrolled() || after.SessionVersion != u.SessionVersion+1 {
			t.Fatalf("enrol: %v, %d codes, %+v", err, len(codes), after)
		}
		// The enrolment's own code is used up.
		if _, err := db.Store.VerifySecondFactor(ctx, u.ID, code, "192.0.2.1"); !errors.Is(err, models.ErrBadCode) {
			t.Errorf("the enrolment code again: %v, want ErrBadCode", err)
		}
		if _, _, err := db.Store.EnrolTOTP(ctx, u.ID, key.Secret, code, ""); !errors.Is(err, models.ErrAlreadyEnrolled) {
			t.Errorf("enrolling twice: %v", err)
		}
		if db.Count(t, "audit_events", "action = 'user.mfa_enrol'") != 1 {
			t.Error("enrolment not audited")
		}
	})
}

func TestACodeIsAcceptedOnceWhateverTheConcurrency(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		u, secret, _ := enrolled(t, db, "rita@example.com", models.RoleReviewer)
		db.Clock.Advance(30 * time.Second)
		code, _ := models.TOTPCode(secret, db.Clock.Now())
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range 4 { // fewer than the five wrong codes that pause the account
			wg.Go(func() {
				_, err := db.Store.VerifySecondFactor(context.Background(), u.ID, code, "192.0.2.1")
				switch {
				case err == nil:
					ok.Add(1)
				case !errors.Is(err, models.ErrBadCode):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 1 {
			t.Fatalf("%d sign-ins with one code, want 1", ok.Load())
		}
		// An older code (the step before, still within the skew) is refused too.
		old, _ := models.TOTPCode(secret, db.Clock.Now().Add(-30*time.Second))
		if _, err := db.Store.VerifySecondFactor(context.Background(), u.ID, old, "192.0.2.1"); !errors.Is(err, models.ErrBadCode) {
			t.Errorf("an earlier step's code after a later one: %v", err)
		}
	})
}

func TestARecoveryCodeWorksOnceWhateverTheConcurrency(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		u, _, codes := enrolled(t, db, "owen@example.com", models.RoleOwner)
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := db.Store.VerifySecondFactor(context.Background(), u.ID, codes[0], "192.0.2.1"); err == nil {
					ok.Add(1)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 1 {
			t.Fatalf("%d sign-ins with one recovery code, want 1", ok.Load())
		}
		if left, _ := db.Store.RecoveryCodesLeft(context.Background(), u.ID); left != 9 {
			t.Errorf("%d left, want 9", left)
		}
	})
}

func TestWrongCodesArePausedAfterFive(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		u, secret, _ := enrolled(t, db, "rita@example.com", models.RoleReviewer)
		for i := range 5 {
			if _, err := db.Store.VerifySecondFactor(ctx, u.ID, "99999"+string(rune('0'+i)), "192.0.2.1"); !errors.Is(err, models.ErrBadCode) {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		db.Clock.Advance(30 * time.Second)
		code, _ := models.TOTPCode(secret, db.Clock.Now())
		if _, err := db.Store.VerifySecondFactor(ctx, u.ID, code, "198.51.100.7"); !errors.Is(err, models.ErrTooManyAttempts) {
			t.Fatalf("the right code from elsewhere after five wrong: %v, want ErrTooManyAttempts", err)
		}
	})
}

func TestMFAResetMakesTheStaffMemberEnrolAgain(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		u, _, codes := enrolled(t, db, "rita@example.com", models.RoleReviewer)
		if err := db.Store.ResetMFA(ctx, models.CLIActor(), "Rita@example.com"); err != nil {
			t.Fatal(err)
		}
		after, _ := db.Store.UserByID(ctx, u.ID)
		if after.MFAEnrolled() || after.SessionVersion == u.SessionVersion {
			t.Errorf("after the reset: enrolled %v, session version %d (was %d)", after.MFAEnrolled(), after.SessionVersion, u.SessionVersion)
		}
		if _, err := db.Store.VerifySecondFactor(ctx, u.ID, codes[0], ""); !errors.Is(err, models.ErrBadCode) {
			t.Errorf("an old recovery code after the reset: %v", err)
		}
	})
}

func TestDisabledAccountsCannotSignIn(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		ana := user(t, db, models.NewUser{Email: "ana@example.com", Country: "US"})
		if _, err := db.Store.DisableUser(ctx, models.CLIActor(), ana.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Authenticate(ctx, "ana@example.com", "correct horse", "192.0.2.1"); !errors.Is(err, models.ErrAccountDisabled) {
			t.Errorf("password sign-in: %v, want ErrAccountDisabled", err)
		}
		if _, err := db.Store.Authenticate(ctx, "ana@example.com", "wrong horse", "192.0.2.1"); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("a wrong password says more than that: %v", err)
		}
		after, _ := db.Store.UserByID(ctx, ana.ID)
		if _, err := db.Store.SignInWithLink(ctx, ana.ID, after.SessionVersion, ""); !errors.Is(err, models.ErrSignInLinkUsed) {
			t.Errorf("link sign-in: %v", err)
		}
		if _, err := db.Store.EnableUser(ctx, models.CLIActor(), ana.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Authenticate(ctx, "ana@example.com", "correct horse", "192.0.2.1"); err != nil {
			t.Errorf("after enabling: %v", err)
		}
	})
}

// TestTwoOwnersDemotingEachOtherLeaveOne races the only two owners taking each other's
// role away: one change wins, the other is refused, and one owner remains.
func TestTwoOwnersDemotingEachOtherLeaveOne(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		for round := range 3 {
			a := user(t, db, models.NewUser{Email: "a" + itoa(int64(round)) + "@example.com", Country: "US", Role: models.RoleOwner})
			b := user(t, db, models.NewUser{Email: "b" + itoa(int64(round)) + "@example.com", Country: "US", Role: models.RoleOwner})
			// Only these two are owners: demote every other owner first.
			db.Exec(t, "UPDATE users SET role = 'reviewer' WHERE role = 'owner' AND id NOT IN (?, ?)", a.ID, b.ID)
			var refused atomic.Int32
			var wg sync.WaitGroup
			for _, pair := range [][2]models.User{{a, b}, {b, a}} {
				wg.Go(func() {
					_, err := db.Store.SetStaffRole(context.Background(), models.StaffActor(pair[0], ""), pair[1].ID, models.RoleFinance)
					if errors.Is(err, models.ErrLastOwner) {
						refused.Add(1)
					} else if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if n := db.Count(t, "users", "role = 'owner'"); n != 1 || refused.Load() != 1 {
				t.Fatalf("round %d: %d owners left, %d refused; want 1 and 1", round, n, refused.Load())
			}
		}
	})
}

func TestChangePasswordNeedsTheCurrentOneAndEndsSessions(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		ana := user(t, db, models.NewUser{Email: "ana@example.com", Country: "US"})
		_, err := db.Store.ChangePassword(ctx, ana.ID, "wrong horse", "battery staple", "192.0.2.1")
		if fe, ok := models.AsFieldErrors(err); !ok || fe["current_password"] == "" {
			t.Fatalf("wrong current password: %v", err)
		}
		after, err := db.Store.ChangePassword(ctx, ana.ID, "correct horse", "battery staple", "192.0.2.1")
		if err != nil || after.SessionVersion != ana.SessionVersion+1 {
			t.Fatalf("change: %v, version %d", err, after.SessionVersion)
		}
		if _, err := db.Store.Authenticate(ctx, "ana@example.com", "battery staple", "192.0.2.1"); err != nil {
			t.Errorf("the new password: %v", err)
		}
	})
}
