package main

import (
	"strings"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// The command runs on the wall clock, so its program's deadline is a month from today.
func openProgram(t *testing.T, db *modelstest.DB) {
	t.Helper()
	if _, err := db.Store.CreateProgram(t.Context(), models.CLIActor(), models.ProgramInput{
		Slug: "customer-service", Name: "Customer Service referrals", Deadline: time.Now().AddDate(0, 1, 0).Format("2006-01-02"),
	}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []models.NewUser{
		{Email: "maria@example.com", Name: "Maria Santos", Country: "US", TopRated: true, Password: "correct horse"},
		{Email: "rita@example.com", Name: "Rita Gomez", Country: "US", TopRated: true, Password: "correct horse"},
		{Email: "ben@example.com", Name: "Ben Okafor", Country: "US", Password: "correct horse"},
	} {
		if _, err := db.Store.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInviteInvitesTheEligibleOnceAndSays(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		openProgram(t, db)
		env := envFor(db)
		code, out, errOut := referrals(t, env, "", "invite", "--program", "customer-service")
		if code != 0 || out != "invited 2 freelancers to customer-service\n" {
			t.Fatalf("first run: exit %d, %q %q", code, out, errOut)
		}
		if db.Count(t, "emails", "kind = 'invitation'") != 2 {
			t.Error("invitation emails not queued")
		}
		code, out, _ = referrals(t, env, "", "invite", "--program", "customer-service")
		if code != 0 || out != "invited 0 freelancers to customer-service\n" {
			t.Fatalf("second run: exit %d, %q", code, out)
		}
		if db.Count(t, "invitations", "") != 2 || db.Count(t, "emails", "") != 2 {
			t.Error("the second run invited someone twice")
		}
	})
}

func TestInviteWithRemindersRemindsThoseWhoseReminderIsDue(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		openProgram(t, db)
		env := envFor(db)
		if code, _, errOut := referrals(t, env, "", "invite", "--program", "customer-service"); code != 0 {
			t.Fatal(errOut)
		}
		code, out, _ := referrals(t, env, "", "invite", "--program", "customer-service", "--reminders")
		if code != 0 || !strings.Contains(out, "reminded 0 referrers in customer-service") {
			t.Fatalf("reminders not yet due: exit %d, %q", code, out)
		}
		// Maria was invited eight days ago; her reminder is due.
		db.Exec(t, "UPDATE invitations SET invited_at = ? WHERE referrer_id = (SELECT id FROM users WHERE email = 'maria@example.com')",
			time.Now().UTC().AddDate(0, 0, -8))
		code, out, _ = referrals(t, env, "", "invite", "--program", "customer-service", "--reminders")
		if code != 0 || out != "invited 0 freelancers to customer-service\nreminded 1 referrer in customer-service\n" {
			t.Fatalf("reminders due: exit %d, %q", code, out)
		}
		if db.Count(t, "emails", "kind = 'reminder' AND recipient = 'maria@example.com'") != 1 {
			t.Error("no reminder queued for Maria")
		}
	})
}

func TestInviteMistakesAreOneLine(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		env := envFor(db)
		if _, err := db.Store.CreateProgram(t.Context(), models.CLIActor(), models.ProgramInput{
			Slug: "old", Name: "Old program", Deadline: "2019-04-15",
		}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			args []string
			exit int
			says string
		}{
			{[]string{"invite"}, 2, "--program is required"},
			{[]string{"invite", "--program", "nope"}, 1, `no program with slug "nope"`},
			{[]string{"invite", "--program", "old"}, 1, "program old is not open"},
			{[]string{"invite", "--program", "old", "extra"}, 2, "unexpected argument"},
		} {
			code, _, errOut := referrals(t, env, "", tc.args...)
			first := strings.SplitN(errOut, "\n", 2)[0]
			if code != tc.exit || !strings.HasPrefix(first, "referrals: ") || !strings.Contains(first, tc.says) {
				t.Errorf("%v: exit %d, %q; want exit %d saying %q", tc.args, code, errOut, tc.exit, tc.says)
			}
		}
	})
}
