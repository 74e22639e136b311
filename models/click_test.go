package models_test

import (
	"context"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestActivityIsPerDayForShortProgramsAndPerWeekForLongOnes(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	day := func(m time.Month, d, h int) time.Time { return time.Date(2019, m, d, h, 0, 0, 0, la) }
	p := models.Program{TimeZone: "America/Los_Angeles", CreatedAt: day(3, 1, 9), Deadline: day(4, 15, 23)}
	clicks := map[string]int64{"2019-03-01": 2, "2019-03-03": 1, "2019-03-04": 4}
	a := models.BuildActivity(p, day(3, 4, 10), clicks, []time.Time{day(3, 1, 23)}, []time.Time{day(3, 4, 1)})
	if a.Weekly || len(a.Buckets) != 4 {
		t.Fatalf("45-day program on its 4th day: weekly %v, %d buckets", a.Weekly, len(a.Buckets))
	}
	if b := a.Buckets[0]; !b.Start.Equal(day(3, 1, 0)) || b.Clicks != 2 || b.SignUps != 1 {
		t.Errorf("Mar 1: %+v", b)
	}
	if b := a.Buckets[3]; b.Clicks != 4 || b.Qualified != 1 {
		t.Errorf("Mar 4: %+v", b)
	}

	// 80 days long: per week, weeks starting on Monday (Mar 1, 2019 was a Friday).
	p.Deadline = day(5, 20, 23)
	a = models.BuildActivity(p, day(3, 12, 10), clicks, []time.Time{day(3, 1, 23)}, nil)
	if !a.Weekly || len(a.Buckets) != 3 || !a.Buckets[0].Start.Equal(day(2, 25, 0)) || a.Buckets[2].Start.Weekday() != time.Monday {
		t.Fatalf("80-day program: %+v", a)
	}
	if a.Buckets[0].Clicks != 3 || a.Buckets[1].Clicks != 4 || a.Totals().Clicks != 7 || a.Totals().SignUps != 1 {
		t.Errorf("weekly buckets %+v", a.Buckets)
	}
	// After the deadline the chart ends at the deadline.
	a = models.BuildActivity(p, day(9, 1, 0), nil, nil, nil)
	if last := a.Buckets[len(a.Buckets)-1].Start; !last.Equal(day(5, 20, 0)) {
		t.Errorf("after the deadline the last week starts %v", last)
	}
}

func TestTheDashboardChartsClicksSignUpsAndQualificationsAndEachFriendsTimeline(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		_, maria, code := invited(t, db)
		click := func() {
			if _, err := db.Store.CountClick(ctx, code); err != nil {
				t.Fatal(err)
			}
		}
		click() // Mar 1
		db.Clock.Advance(24 * time.Hour)
		click() // Mar 2
		click()
		sam := signUp(t, db, "Sam Rivera", "sam@example.com", code)
		db.Clock.Advance(24 * time.Hour) // Mar 3: Sam earns $500 and qualifies
		ev := earning("e1", 50000)
		ev.OccurredAt = db.Clock.Now().Add(-time.Hour).Format(time.RFC3339)
		record(t, db, ev)

		d, err := db.Store.Dashboard(ctx, maria.ID, models.DashboardQuery{})
		if err != nil {
			t.Fatal(err)
		}
		a := d.Programs[0].Activity
		if a.Weekly || len(a.Buckets) != 3 {
			t.Fatalf("activity %+v", a)
		}
		got := [][3]int64{}
		for _, b := range a.Buckets {
			got = append(got, [3]int64{b.Clicks, b.SignUps, b.Qualified})
		}
		if want := [][3]int64{{1, 0, 0}, {2, 1, 0}, {0, 0, 1}}; !equalDays(got, want) {
			t.Errorf("per day (clicks, sign-ups, qualified) %v, want %v", got, want)
		}
		f := d.Programs[0].Friends.Items[0]
		if !f.RegisteredAt.Equal(sam.Referral.RegisteredAt) || f.FirstEarningAt == nil || f.QualifiedAt == nil || f.DecidedAt != nil ||
			!f.FirstEarningAt.Equal(db.Clock.Now().Add(-time.Hour)) {
			t.Errorf("Sam's timeline %+v", f)
		}
	})
}

func equalDays(a, b [][3]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
