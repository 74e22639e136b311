package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestDashboardSaysWhichConditionIsMissing(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		if _, err := db.Store.CreateProgram(t.Context(), models.CLIActor(), models.ProgramInput{Slug: "cs", Name: "Customer Service referrals", Deadline: "2019-04-15"}); err != nil {
			t.Fatal(err)
		}
		a.createUser(t, models.NewUser{Email: "ben@example.com", Country: "CA"})
		b := a.browser(t)
		b.signIn("ben@example.com", "correct horse", "/dashboard")
		res := b.get("/dashboard")
		if res.status != http.StatusOK {
			t.Fatalf("dashboard: %d", res.status)
		}
		doc := parse(t, res.body)
		page := text(doc)
		for _, want := range []string{"not Top Rated", "United States only", "not been invited"} {
			if !strings.Contains(page, want) {
				t.Errorf("dashboard does not say %q", want)
			}
		}
		if byID(doc, "invite-link") != nil {
			t.Error("an ineligible freelancer sees an invite link")
		}
	})
}

func TestHelpShowsTheLiveProgramsNumbers(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		if _, err := db.Store.CreateProgram(t.Context(), models.CLIActor(), models.ProgramInput{
			Slug: "cs", Name: "Customer Service referrals", Deadline: "2019-04-15", Threshold: "750", Reward: "125.50",
		}); err != nil {
			t.Fatal(err)
		}
		res := a.browser(t).get("/help")
		page := text(parse(t, res.body))
		for _, want := range []string{"$750", "$125.50", "Customer Service", "Apr 15, 2019, 11:59 PM PDT", "5 business days", "1 month of Freelancer Plus"} {
			if !strings.Contains(page, want) {
				t.Errorf("/help does not say %q", want)
			}
		}
	})
}
