package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestCreateProgramDeadlineIsTheEndOfThatDayInTheProgramsTimeZone(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		p, err := db.Store.CreateProgram(context.Background(), models.CLIActor(), models.ProgramInput{
			Slug: "customer-service", Name: "Customer Service referrals", Deadline: "2019-04-15",
		})
		if err != nil {
			t.Fatal(err)
		}
		// April 15, 2019 ends at midnight PDT (UTC-7), i.e. 07:00 UTC on April 16.
		want := time.Date(2019, 4, 16, 6, 59, 59, 999e6, time.UTC)
		if !p.Deadline.Equal(want) {
			t.Errorf("deadline %v, want %v", p.Deadline, want)
		}
		got, err := db.Store.ProgramBySlug(context.Background(), "customer-service")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Deadline.Equal(want) {
			t.Errorf("stored deadline %v, want %v", got.Deadline, want)
		}
		if got.ThresholdCents != 50000 || got.RewardCents != 10000 || got.PerkMonths != 1 || got.PayoutBusinessDays != 5 {
			t.Errorf("defaults: %+v", got)
		}
		if len(got.Categories) != 1 || got.Categories[0] != "Customer Service" || len(got.Countries) != 1 || got.Countries[0] != "US" {
			t.Errorf("categories %v countries %v", got.Categories, got.Countries)
		}
	})
}

func TestCreateProgramRefusesBadInputAndTakenSlugs(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		_, err := db.Store.CreateProgram(ctx, models.CLIActor(), models.ProgramInput{
			Slug: "Bad Slug", Name: "", Deadline: "15/04/2019", Threshold: "12.345", Reward: "-1", TimeZone: "Mars/Olympus",
		})
		fe, ok := models.AsFieldErrors(err)
		if !ok {
			t.Fatalf("err = %v, want field errors", err)
		}
		for _, f := range []string{"slug", "name", "deadline", "threshold", "reward", "time_zone"} {
			if fe[f] == "" {
				t.Errorf("no error for %s", f)
			}
		}
		in := models.ProgramInput{Slug: "cs", Name: "CS", Deadline: "2019-04-15"}
		if _, err := db.Store.CreateProgram(ctx, models.CLIActor(), in); err != nil {
			t.Fatal(err)
		}
		_, err = db.Store.CreateProgram(ctx, models.CLIActor(), in)
		if fe, ok := models.AsFieldErrors(err); !ok || fe["slug"] == "" {
			t.Fatalf("second program with the same slug: err = %v", err)
		}
		if n := db.Count(t, "programs", ""); n != 1 {
			t.Fatalf("%d programs, want 1", n)
		}
	})
}

func TestProgramHasCategoryIgnoresCase(t *testing.T) {
	p := models.Program{Categories: []string{"Customer Service", "Data Entry"}}
	for cat, want := range map[string]bool{
		"Customer Service":   true,
		"customer service":   true,
		" CUSTOMER SERVICE ": true,
		"Data entry":         true,
		"Web Development":    false,
		"Customer":           false,
	} {
		if got := p.HasCategory(cat); got != want {
			t.Errorf("HasCategory(%q) = %v, want %v", cat, got, want)
		}
	}
}

func TestFeaturedPrefersTheOpenProgram(t *testing.T) {
	now := time.Date(2019, 3, 1, 0, 0, 0, 0, time.UTC)
	ended := models.Program{Slug: "old", Status: models.ProgramActive, Deadline: now.AddDate(0, -1, 0)}
	open := models.Program{Slug: "new", Status: models.ProgramActive, Deadline: now.AddDate(0, 1, 0)}
	if got := models.Featured([]models.Program{ended, open}, now); got == nil || got.Slug != "new" {
		t.Errorf("Featured = %v, want the open program", got)
	}
	if got := models.Featured([]models.Program{ended}, now); got == nil || got.Slug != "old" {
		t.Errorf("Featured = %v, want the ended program when none is open", got)
	}
	if got := models.Featured(nil, now); got != nil {
		t.Errorf("Featured(nil) = %v", got)
	}
}

func TestCheckEligibilitySaysEachMissingCondition(t *testing.T) {
	p := models.Program{RequiresTopRated: true, Countries: []string{"US"}}
	inv := &models.Invitation{Code: "ABCDEFGH"}
	cases := []struct {
		name string
		user models.User
		inv  *models.Invitation
		want []models.Ineligibility
	}{
		{"eligible", models.User{TopRated: true, Country: "US"}, inv, nil},
		{"not top rated", models.User{Country: "US"}, inv, []models.Ineligibility{models.NotTopRated}},
		{"abroad", models.User{TopRated: true, Country: "CA"}, inv, []models.Ineligibility{models.CountryNotCovered}},
		{"not invited", models.User{TopRated: true, Country: "US"}, nil, []models.Ineligibility{models.NotInvited}},
		{"nothing", models.User{Country: "FR"}, nil, []models.Ineligibility{models.NotTopRated, models.CountryNotCovered, models.NotInvited}},
	}
	for _, tc := range cases {
		e := models.CheckEligibility(tc.user, p, tc.inv)
		if len(e.Missing) != len(tc.want) {
			t.Errorf("%s: missing %v, want %v", tc.name, e.Missing, tc.want)
			continue
		}
		for i := range tc.want {
			if e.Missing[i] != tc.want[i] {
				t.Errorf("%s: missing %v, want %v", tc.name, e.Missing, tc.want)
			}
		}
		if e.CanRefer() != (len(tc.want) == 0) {
			t.Errorf("%s: CanRefer = %v", tc.name, e.CanRefer())
		}
	}
}

func TestEligibilitiesCoverEveryActiveProgram(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		u, err := db.Store.CreateUser(ctx, newFreelancer("ana@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		for _, slug := range []string{"one", "two"} {
			if _, err := db.Store.CreateProgram(ctx, models.CLIActor(), models.ProgramInput{Slug: slug, Name: slug, Deadline: "2019-04-15"}); err != nil {
				t.Fatal(err)
			}
		}
		draft := models.ProgramInput{Slug: "draft", Name: "draft", Deadline: "2019-04-15", Status: models.ProgramDraft}
		if _, err := db.Store.CreateProgram(ctx, models.CLIActor(), draft); err != nil {
			t.Fatal(err)
		}
		es, err := db.Store.Eligibilities(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != 2 {
			t.Fatalf("%d programs, want the 2 active ones", len(es))
		}
		for _, e := range es {
			if e.CanRefer() || e.Missing[0] != models.NotInvited {
				t.Errorf("%s: missing %v, want not invited", e.Program.Slug, e.Missing)
			}
		}
		if _, err := db.Store.Eligibilities(ctx, 9999); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown user: err = %v", err)
		}
	})
}
