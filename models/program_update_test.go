package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestUpdateProgramChangesSettingsAndAuditsWhatChanged(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p := db.FixtureProgram(t)
		admin := staff(t, db)
		in := p.Input()
		if in.Deadline != "2019-04-15" || in.Threshold != "500.00" || in.BusinessDays != "5" {
			t.Fatalf("form of the program: %+v", in)
		}
		in.Name = "Support referrals"
		in.Categories = []string{"Customer Service", "Technical Support"}
		in.Reward = "150"
		in.BusinessDays = "3"
		in.Deadline = "2019-05-31"
		in.Slug = "attempt-to-rename"
		got, err := db.Store.UpdateProgram(ctx, admin, p.Slug, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Slug != p.Slug || got.Name != "Support referrals" || got.RewardCents != 15000 || got.PayoutBusinessDays != 3 ||
			len(got.Categories) != 2 || got.Input().Deadline != "2019-05-31" || got.ThresholdCents != 50000 {
			t.Errorf("updated program %+v", got)
		}
		stored, _ := db.Store.ProgramBySlug(ctx, p.Slug)
		if stored.RewardCents != 15000 || !stored.Deadline.Equal(got.Deadline) {
			t.Errorf("stored program %+v", stored)
		}
		var details string
		db.QueryRow(t, "SELECT details FROM audit_events WHERE action = 'program.update' AND target = ?", []any{&details}, p.Slug)
		for _, want := range []string{`"reward_cents":{"from":10000,"to":15000}`, `"payout_business_days"`, `"categories"`, `"deadline"`, `"name"`} {
			if !strings.Contains(details, want) {
				t.Errorf("audit details %s lack %s", details, want)
			}
		}
		if strings.Contains(details, "threshold") {
			t.Errorf("audit details %s list an unchanged setting", details)
		}

		// Saving the same form again changes nothing and records nothing.
		if _, err := db.Store.UpdateProgram(ctx, admin, p.Slug, got.Input()); err != nil {
			t.Fatal(err)
		}
		if n := db.Count(t, "audit_events", "action = 'program.update'"); n != 1 {
			t.Errorf("%d update events after a save without changes, want 1", n)
		}

		bad := got.Input()
		bad.PerkMonths, bad.BusinessDays, bad.ReminderDays, bad.Status, bad.Reward = "-1", "0", "x", "paused", "0"
		_, err = db.Store.UpdateProgram(ctx, admin, p.Slug, bad)
		fe, ok := models.AsFieldErrors(err)
		if !ok {
			t.Fatalf("bad input: %v", err)
		}
		for _, f := range []string{"perk_months", "business_days", "reminder_days", "status", "reward"} {
			if fe[f] == "" {
				t.Errorf("no error for %s", f)
			}
		}
		if _, err := db.Store.UpdateProgram(ctx, admin, "nope", got.Input()); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown program: %v", err)
		}
	})
}

func TestProgramsListWithTheirCounts(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		pending(t, db, "Sam Rivera")
		if _, err := db.Store.CreateProgram(ctx, models.CLIActor(), models.ProgramInput{Slug: "drafty", Name: "Draft", Deadline: "2019-12-31", Status: models.ProgramDraft}); err != nil {
			t.Fatal(err)
		}
		page, err := db.Store.Programs(ctx, models.Paging{})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 2 || page.Items[0].Slug != "customer-service" || page.Items[1].Slug != "drafty" {
			t.Fatalf("programs %+v", page.Items)
		}
		if r := page.Items[0]; r.Invited != 1 || r.Referrals != 1 || r.Qualified != 1 || r.Reminded != 0 || len(r.Categories) != 1 {
			t.Errorf("counts %+v", r)
		}
		one, err := db.Store.ProgramSummary(ctx, "drafty")
		if err != nil || one.Status != models.ProgramDraft {
			t.Errorf("summary %+v, %v", one, err)
		}
		if _, err := db.Store.CreateProgram(ctx, models.CLIActor(), models.ProgramInput{Slug: "new", Name: "N", Deadline: "2019-12-31"}); err == nil {
			t.Error("the reserved slug new was accepted")
		}
	})
}

func TestTheRulesFriendsEarnUnderAreFixedOnceSomeoneSignedUp(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p, _, code := invited(t, db)
		if _, err := db.Store.SignUpFriend(ctx, friend("sam@example.com", code)); err != nil {
			t.Fatal(err)
		}
		admin := models.CLIActor()
		locked := p.Input()
		locked.Threshold, locked.Deadline, locked.Categories = "400", "2019-05-15", []string{"Customer Service", "Writing"}
		_, err := db.Store.UpdateProgram(ctx, admin, p.Slug, locked)
		fe, ok := models.AsFieldErrors(err)
		if !ok || fe["threshold"] == "" || fe["deadline"] == "" || fe["categories"] == "" {
			t.Fatalf("changing the rules after a sign-up: err = %v", err)
		}
		if got, _ := db.Store.ProgramBySlug(ctx, p.Slug); got.ThresholdCents != p.ThresholdCents || !got.Deadline.Equal(p.Deadline) {
			t.Fatal("a refused edit changed the program")
		}
		free := p.Input()
		free.Name, free.Reward = "Customer Service referrals 2019", "150"
		got, err := db.Store.UpdateProgram(ctx, admin, p.Slug, free)
		if err != nil || got.Name != free.Name || got.RewardCents != 15000 {
			t.Fatalf("changing the name and the reward: %+v, %v", got, err)
		}
	})
}
