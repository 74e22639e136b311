package models_test

import (
	"context"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// An ended program is over: marking it ended before its deadline stops the counting at
// once, so no payout is created; earnings that came before keep counting as they did.
func TestAnEarlyEndedProgramCountsNothingMoreAndCreatesNoPayout(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p, _, ref := referred(t, db)
		if got := statuses(record(t, db, earning("before", 30000))); got != "accepted" {
			t.Fatalf("before the end: %s", got)
		}
		in := p.Input()
		in.Status = models.ProgramEnded
		if _, err := db.Store.UpdateProgram(ctx, staff(t, db), p.Slug, in); err != nil {
			t.Fatal(err)
		}
		if got := statuses(record(t, db, earning("after", 30000))); got != "ignored (the program has ended)" {
			t.Errorf("after the end: %s", got)
		}
		if cents, status := counted(t, db, ref.ID); cents != 30000 || status != string(models.ReferralEarning) {
			t.Errorf("referral after the end: %d %s, want 30000 earning", cents, status)
		}
		if n := db.Count(t, "payouts", "referral_id = ?", ref.ID); n != 0 {
			t.Errorf("%d payouts created after the end", n)
		}
		ended, _ := db.Store.ProgramBySlug(ctx, p.Slug)
		if !ended.Ended(db.Clock.Now()) || ended.Deadline.Before(db.Clock.Now()) {
			t.Errorf("the program should show as ended before its deadline: %+v", ended)
		}
	})
}

func TestAProgramPastItsDeadlineShowsAsEnded(t *testing.T) {
	p := models.Program{Status: models.ProgramActive, Deadline: modelstest.Start}
	if p.ShownStatus(modelstest.Start) != models.ProgramActive || p.ShownStatus(modelstest.Start.Add(1)) != models.ProgramEnded {
		t.Error("an active program shows as ended only after its deadline")
	}
	if (models.Program{Status: models.ProgramDraft, Deadline: modelstest.Start}).Ended(modelstest.Start.Add(1)) {
		t.Error("a draft is a draft")
	}
}

func TestEveryOfferedTimeZoneLoads(t *testing.T) {
	for _, tz := range models.TimeZones() {
		if _, err := time.LoadLocation(tz); err != nil {
			t.Errorf("%s: %v", tz, err)
		}
	}
}
