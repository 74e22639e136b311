package models_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// program creates the standard program: $500 in Customer Service by April 15, 2019.
func program(t *testing.T, db *modelstest.DB) models.Program {
	t.Helper()
	p, err := db.Store.CreateProgram(context.Background(), models.CLIActor(), models.ProgramInput{
		Slug: "customer-service", Name: "Customer Service referrals", Deadline: "2019-04-15",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func user(t *testing.T, db *modelstest.DB, u models.NewUser) models.User {
	t.Helper()
	if u.Password == "" {
		u.Password = "correct horse"
	}
	if u.Name == "" {
		u.Name = "Test Person"
	}
	created, err := db.Store.CreateUser(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func TestInviteCodesAreRandomUnambiguousAndLongEnough(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		c := models.NewInviteCode()
		if len(c) != 10 || strings.ContainsAny(c, "ILOU") || strings.ToUpper(c) != c {
			t.Fatalf("code %q", c)
		}
		if seen[c] {
			t.Fatalf("code %q drawn twice in 10,000", c)
		}
		seen[c] = true
	}
	if got := models.NormalizeCode(" abcd-efgh-oi "); got != "ABCDEFGH01" {
		t.Errorf("NormalizeCode = %q", got)
	}
	for _, bad := range []string{"", "short", "ABCDEFGHJKM", "ABCDEFGH!!", "ABCDEFGHU0"} {
		if got := models.NormalizeCode(bad); got != "" {
			t.Errorf("NormalizeCode(%q) = %q, want \"\"", bad, got)
		}
	}
}

func TestInviteProgramInvitesEachEligibleFreelancerOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p := program(t, db)
		maria := user(t, db, models.NewUser{Email: "maria@example.com", Country: "US", TopRated: true})
		user(t, db, models.NewUser{Email: "ben@example.com", Country: "US"})                                           // not Top Rated
		user(t, db, models.NewUser{Email: "chloe@example.com", Country: "CA", TopRated: true})                         // not in the U.S.
		user(t, db, models.NewUser{Email: "staff@example.com", Country: "US", TopRated: true, Role: models.RoleOwner}) // an admin
		optedOut := user(t, db, models.NewUser{Email: "quiet@example.com", Country: "US", TopRated: true})             // opted out
		db.FixtureProfile(t, models.FreelancerProfile{Email: optedOut.Email, EmailOptOut: new(true)})

		n, err := db.Store.InviteProgram(ctx, models.CLIActor(), p.Slug)
		if err != nil || n != 1 {
			t.Fatalf("invited %d, %v; want 1", n, err)
		}
		if db.Count(t, "invitations", "referrer_id = ?", maria.ID) != 1 {
			t.Fatal("maria has no invitation")
		}
		if db.Count(t, "emails", "kind = 'invitation' AND recipient = ?", "maria@example.com") != 1 {
			t.Fatal("no invitation email queued for maria")
		}
		n, err = db.Store.InviteProgram(ctx, models.CLIActor(), p.Slug)
		if err != nil || n != 0 {
			t.Fatalf("second run invited %d, %v; want 0", n, err)
		}
		if db.Count(t, "invitations", "") != 1 || db.Count(t, "emails", "") != 1 {
			t.Fatal("the second run created invitations or emails")
		}
		if db.Count(t, "audit_events", "action = 'program.invite'") != 2 {
			t.Error("invitation runs are not audited")
		}
		es, err := db.Store.Eligibilities(ctx, maria.ID)
		if err != nil || len(es) != 1 || !es[0].CanRefer() {
			t.Fatalf("maria's eligibility: %+v, %v", es, err)
		}
	})
}

func TestConcurrentInvitationRunsInviteNobodyTwice(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		p := program(t, db)
		for i := range 30 {
			user(t, db, models.NewUser{Email: "r" + itoa(int64(i)) + "@example.com", Country: "US", TopRated: true, Password: "x-password"})
		}
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				if _, err := db.Store.InviteProgram(context.Background(), models.CLIActor(), p.Slug); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := db.Count(t, "invitations", ""); got != 30 {
			t.Fatalf("%d invitations, want 30", got)
		}
		if got := db.Count(t, "emails", "kind = 'invitation'"); got != 30 {
			t.Fatalf("%d invitation emails, want 30", got)
		}
	})
}

func TestInviteProgramRefusesAClosedProgram(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		p := program(t, db)
		db.Clock.Set(p.Deadline.AddDate(0, 0, 1))
		if _, err := db.Store.InviteProgram(context.Background(), models.CLIActor(), p.Slug); !errors.Is(err, models.ErrProgramClosed) {
			t.Fatalf("err = %v, want ErrProgramClosed", err)
		}
		if _, err := db.Store.InviteProgram(context.Background(), models.CLIActor(), "nope"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown program: err = %v", err)
		}
	})
}

func TestRemindersGoOnceToInvitedReferrersWithoutAReferral(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p := program(t, db)
		user(t, db, models.NewUser{Email: "maria@example.com", Country: "US", TopRated: true})
		user(t, db, models.NewUser{Email: "rita@example.com", Country: "US", TopRated: true})
		if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), p.Slug); err != nil {
			t.Fatal(err)
		}
		// Rita's friend signs up, so Rita needs no reminder.
		var code string
		db.Store.DB().QueryRow("SELECT code FROM invitations i JOIN users u ON u.id = i.referrer_id WHERE u.email = 'rita@example.com'").Scan(&code)
		if _, err := db.Store.SignUpFriend(ctx, models.FriendSignup{Name: "Friend", Email: "friend@example.com", Password: "correct horse", Country: "US", Code: code}); err != nil {
			t.Fatal(err)
		}

		db.Clock.Advance(6 * 24 * time.Hour)
		if n, err := db.Store.SendReminders(ctx, models.CLIActor(), p.Slug); err != nil || n != 0 {
			t.Fatalf("after 6 days: %d reminders, %v; want none yet", n, err)
		}
		db.Clock.Advance(24 * time.Hour)
		if n, err := db.Store.SendReminders(ctx, models.CLIActor(), p.Slug); err != nil || n != 1 {
			t.Fatalf("after 7 days: %d reminders, %v; want 1", n, err)
		}
		if db.Count(t, "emails", "kind = 'reminder' AND recipient = 'maria@example.com'") != 1 {
			t.Fatal("maria got no reminder")
		}
		if n, err := db.Store.SendReminders(ctx, models.CLIActor(), p.Slug); err != nil || n != 0 {
			t.Fatalf("second run: %d reminders, %v; want 0", n, err)
		}
	})
}

func TestRemindersSkipReferrersWhoCanNoLongerRefer(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p := program(t, db)
		maria := user(t, db, models.NewUser{Email: "maria@example.com", Name: "Maria Santos", Country: "US", TopRated: true})
		user(t, db, models.NewUser{Email: "rita@example.com", Country: "US", TopRated: true})
		if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), p.Slug); err != nil {
			t.Fatal(err)
		}
		db.FixtureProfile(t, models.FreelancerProfile{Email: "rita@example.com", TopRated: new(false)})
		db.Clock.Advance(8 * 24 * time.Hour)
		if n, err := db.Store.SendReminders(ctx, models.CLIActor(), p.Slug); err != nil || n != 1 {
			t.Fatalf("%d reminders, %v; want 1 (Rita is no longer Top Rated)", n, err)
		}
		if db.CountWritten(t, func(e modelstest.WrittenEmail) bool { return strings.HasPrefix(e.Content.Text, "Hi Maria Santos,") }, "kind = 'reminder' AND user_id = ?", maria.ID) != 1 {
			t.Error("Maria's reminder is not addressed to her")
		}
	})
}

func TestCountClickCountsAndTellsWhatTheLinkOffers(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p, _, code := invited(t, db)
		for range 3 {
			if _, err := db.Store.CountClick(ctx, strings.ToLower(code)); err != nil {
				t.Fatal(err)
			}
		}
		o, err := db.Store.CountClick(ctx, code)
		if err != nil || o.Invitation.Clicks != 4 || o.Program.ID != p.ID || o.ReferrerFirstName != "Maria" || !o.Available() {
			t.Fatalf("offer %+v, %v", o, err)
		}
		if _, err := db.Store.CountClick(ctx, "ZZZZZZZZZZ"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown code: %v", err)
		}
		// Reading the offer again (a friend back to sign up later) counts nothing.
		if o, err := db.Store.InviteOffer(ctx, code); err != nil || o.Invitation.Clicks != 4 {
			t.Fatalf("InviteOffer: %+v, %v", o, err)
		}
	})
}

func TestAnOfferSaysWhyItWouldMakeNoReferral(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p, referrer, code := invited(t, db)
		db.FixtureProfile(t, models.FreelancerProfile{Email: referrer.Email, TopRated: new(false)})
		if o, err := db.Store.InviteOffer(ctx, code); err != nil || o.Unavailable != models.ReferrerIneligible {
			t.Fatalf("referrer no longer Top Rated: %+v, %v", o, err)
		}
		db.Clock.Set(p.Deadline.Add(time.Second))
		if o, err := db.Store.CountClick(ctx, code); err != nil || o.Unavailable != models.ProgramNotOpen {
			t.Fatalf("after the deadline: %+v, %v", o, err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
