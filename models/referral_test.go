package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// invited creates the standard program and an invited Top Rated U.S. referrer, and
// returns the program, the referrer and their invite code.
func invited(t *testing.T, db *modelstest.DB) (models.Program, models.User, string) {
	t.Helper()
	ctx := context.Background()
	p := program(t, db)
	referrer := user(t, db, models.NewUser{Email: "maria@example.com", Name: "Maria Santos", Country: "US", TopRated: true})
	if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), p.Slug); err != nil {
		t.Fatal(err)
	}
	var code string
	if err := db.Store.DB().QueryRow("SELECT code FROM invitations WHERE referrer_id = " + itoa(referrer.ID)).Scan(&code); err != nil {
		t.Fatal(err)
	}
	return p, referrer, code
}

func friend(email, code string) models.FriendSignup {
	return models.FriendSignup{Name: "Sam Rivera", Email: email, Password: "correct horse", Country: "US", Code: code, IP: "203.0.113.7"}
}

func TestFriendSignUpCreatesAccountReferralPerkAndEmailTogether(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		p, referrer, code := invited(t, db)
		res, err := db.Store.SignUpFriend(context.Background(), friend("sam@example.com", code))
		if err != nil {
			t.Fatal(err)
		}
		if res.Referral == nil || res.Referral.ReferrerID != referrer.ID || res.Referral.Status != models.ReferralRegistered || res.Referral.CountedCents != 0 {
			t.Fatalf("referral %+v", res.Referral)
		}
		wantPlus := modelstest.Start.AddDate(0, p.PerkMonths, 0)
		if res.Friend.PlusUntil == nil || !res.Friend.PlusUntil.Equal(wantPlus) {
			t.Errorf("Freelancer Plus until %v, want %v", res.Friend.PlusUntil, wantPlus)
		}
		stored, _ := db.Store.UserByEmail(context.Background(), "sam@example.com")
		if stored.PlusUntil == nil || !stored.PlusUntil.Equal(wantPlus) || stored.SignupIP != "203.0.113.7" {
			t.Errorf("stored friend %+v", stored)
		}
		if db.Count(t, "emails", "kind = 'friend_joined' AND recipient = 'maria@example.com'") != 1 {
			t.Error("no 'your friend joined' email for the referrer")
		}
	})
}

func TestFriendSignUpRefusesAnExistingEmailAndCreatesNothing(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, code := invited(t, db)
		ctx := context.Background()
		if _, err := db.Store.SignUpFriend(ctx, friend("sam@example.com", code)); err != nil {
			t.Fatal(err)
		}
		users, referrals, emails := db.Count(t, "users", ""), db.Count(t, "referrals", ""), db.Count(t, "emails", "")
		for _, email := range []string{"SAM@example.com", "maria@example.com"} {
			if _, err := db.Store.SignUpFriend(ctx, friend(email, code)); !errors.Is(err, models.ErrEmailTaken) {
				t.Errorf("sign-up with %s: err = %v, want ErrEmailTaken", email, err)
			}
		}
		if db.Count(t, "users", "") != users || db.Count(t, "referrals", "") != referrals || db.Count(t, "emails", "") != emails {
			t.Fatal("a refused sign-up changed something")
		}
	})
}

func TestFriendSignUpAfterTheDeadlineCreatesTheAccountWithoutAReferral(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		p, _, code := invited(t, db)
		db.Clock.Set(p.Deadline.Add(time.Second))
		res, err := db.Store.SignUpFriend(context.Background(), friend("late@example.com", code))
		if err != nil {
			t.Fatal(err)
		}
		if res.Referral != nil || res.Reason != models.ProgramNotOpen || res.Friend.ID == 0 {
			t.Fatalf("result %+v", res)
		}
		if db.Count(t, "referrals", "") != 0 || db.Count(t, "users", "email = 'late@example.com' AND plus_until IS NULL") != 1 {
			t.Fatal("a late sign-up made a referral or a perk")
		}
	})
}

func TestFriendSignUpWithoutAValidCodeIsAPlainAccount(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		invited(t, db)
		for i, code := range []string{"", "ZZZZZZZZZZ", "not a code"} {
			res, err := db.Store.SignUpFriend(context.Background(), friend("x"+itoa(int64(i))+"@example.com", code))
			if err != nil || res.Referral != nil || res.Reason != models.NoInvite {
				t.Errorf("code %q: %+v, %v", code, res, err)
			}
		}
	})
}

func TestFriendSignUpThroughAReferrerWhoLostTopRatedMakesNoReferral(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, referrer, code := invited(t, db)
		db.FixtureProfile(t, models.FreelancerProfile{Email: referrer.Email, TopRated: new(false)})
		res, err := db.Store.SignUpFriend(context.Background(), friend("sam@example.com", code))
		if err != nil || res.Referral != nil || res.Reason != models.ReferrerIneligible {
			t.Fatalf("%+v, %v", res, err)
		}
	})
}

func TestConcurrentSignUpsWithOneEmailMakeOneAccount(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, code := invited(t, db)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := range 20 {
			wg.Go(func() {
				f := friend("sam@example.com", code)
				f.IP = fmt.Sprintf("203.0.113.%d", i+1) // each from its own address: no throttle
				_, err := db.Store.SignUpFriend(context.Background(), f)
				switch {
				case err == nil:
					mu.Lock()
					ok++
					mu.Unlock()
				case !errors.Is(err, models.ErrEmailTaken):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ok != 1 || db.Count(t, "users", "email = 'sam@example.com'") != 1 || db.Count(t, "referrals", "") != 1 || db.Count(t, "emails", "kind = 'friend_joined'") != 1 {
			t.Fatalf("%d successes; want exactly one account, referral and email", ok)
		}
	})
}
