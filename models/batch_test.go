package models_test

import (
	"testing"
	"time"

	"referrals/models"
)

// The due dates below were counted by hand on a calendar with the OPM federal holiday
// schedule: business day 1 is the first weekday after the month's last day that is not a
// holiday as observed.
func TestDueDateIsTheNthBusinessDayAfterTheMonthEnds(t *testing.T) {
	for _, tc := range []struct {
		month string
		days  int
		want  string
		why   string
	}{
		{"2019-03", 5, "2019-04-05", "the original program: March 2019 ends on a Sunday, April 1-5 are plain weekdays"},
		{"2019-03", 1, "2019-04-01", "one business day"},
		{"2019-04", 5, "2019-05-07", "April 2019 ends on a Tuesday: Wed-Fri, then Monday and Tuesday"},
		{"2019-04", 20, "2019-05-29", "a month ending before Memorial Day (May 27, 2019): the holiday is skipped"},
		{"2020-05", 5, "2020-06-05", "May 2020: Memorial Day falls inside the month and does not count"},
		{"2019-08", 5, "2019-09-09", "Labor Day (Sep 2, 2019) is the first weekday after the month"},
		{"2020-06", 5, "2020-07-08", "July 4, 2020 is a Saturday, observed Friday July 3"},
		{"2021-06", 5, "2021-07-08", "July 4, 2021 is a Sunday, observed Monday July 5"},
		{"2019-06", 5, "2019-07-08", "July 4, 2019 is a Thursday"},
		{"2019-12", 5, "2020-01-08", "New Year's Day 2020 is a Wednesday"},
		{"2021-12", 5, "2022-01-07", "New Year's Day 2022 is a Saturday, observed Friday Dec 31, inside the month"},
		{"2021-11", 21, "2021-12-30", "Christmas 2021 (Saturday) observed Friday Dec 24"},
		{"2021-11", 22, "2022-01-03", "New Year's Day 2022 observed Friday Dec 31, 2021 is skipped too"},
		{"2022-12", 5, "2023-01-09", "New Year's Day 2023 is a Sunday, observed Monday Jan 2"},
		{"2022-11", 18, "2022-12-27", "Christmas 2022 is a Sunday, observed Monday Dec 26"},
		{"2019-10", 18, "2019-11-27", "Veterans Day (Monday Nov 11, 2019) skipped"},
		{"2019-10", 19, "2019-11-29", "Thanksgiving (Nov 28, 2019) skipped; the day after is a business day"},
		{"2022-05", 14, "2022-06-21", "Juneteenth 2022 is a Sunday, observed Monday June 20"},
		{"2020-02", 5, "2020-03-06", "a leap February ending on a Saturday"},
		{"2019-01", 15, "2019-02-22", "Presidents' Day (Feb 18, 2019) skipped"},
	} {
		m, err := models.ParseBatchMonth(tc.month)
		if err != nil {
			t.Fatal(err)
		}
		got := models.DueDate(m, tc.days).Format("2006-01-02")
		if got != tc.want {
			t.Errorf("batch %s, %d business days: due %s, want %s (%s)", tc.month, tc.days, got, tc.want, tc.why)
		}
	}
}

func TestProgramDueDateUsesItsBusinessDays(t *testing.T) {
	p := models.Program{PayoutBusinessDays: 3}
	got, err := p.DueDate("2019-03")
	if err != nil || got.Format("2006-01-02") != "2019-04-03" {
		t.Fatalf("due %v, %v; want 2019-04-03", got, err)
	}
	for _, bad := range []string{"", "2019-3", "2019-13", "March 2019", "2019-03-01"} {
		if _, err := p.DueDate(bad); err == nil {
			t.Errorf("DueDate(%q) accepted", bad)
		}
	}
}

func TestBatchMonthIsTheCalendarMonthInTheProgramsTimeZone(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	// 05:00 UTC on April 1 is still March 31 in Los Angeles.
	if got := models.BatchMonthOf(time.Date(2019, 4, 1, 5, 0, 0, 0, time.UTC), la); got != "2019-03" {
		t.Errorf("got %s, want 2019-03", got)
	}
	if got := models.BatchMonthOf(time.Date(2019, 4, 1, 8, 0, 0, 0, time.UTC), la); got != "2019-04" {
		t.Errorf("got %s, want 2019-04", got)
	}
}
