package views

import (
	"testing"
	"time"
)

func TestMoney(t *testing.T) {
	for cents, want := range map[int64]string{
		0:          "$0.00",
		5:          "$0.05",
		31000:      "$310.00",
		123456:     "$1,234.56",
		100000000:  "$1,000,000.00",
		-2500:      "-$25.00",
		-123456789: "-$1,234,567.89",
	} {
		if got := Money(cents); got != want {
			t.Errorf("Money(%d) = %q, want %q", cents, got, want)
		}
	}
	if got := WholeMoney(50000); got != "$500" {
		t.Errorf("WholeMoney(50000) = %q", got)
	}
	if got := WholeMoney(12550); got != "$125.50" {
		t.Errorf("WholeMoney(12550) = %q", got)
	}
	if got := Dollars(31000); got != "310.00" {
		t.Errorf("Dollars(31000) = %q", got)
	}
}

func TestDatesAreShownInTheProgramsTimeZone(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	deadline := time.Date(2019, 4, 16, 6, 59, 59, 0, time.UTC)
	if got := Date(deadline, la); got != "Apr 15, 2019" {
		t.Errorf("Date = %q", got)
	}
	if got := DateTime(deadline, la); got != "Apr 15, 2019, 11:59 PM PDT" {
		t.Errorf("DateTime = %q", got)
	}
}

func TestDaysLeft(t *testing.T) {
	deadline := time.Date(2019, 4, 15, 23, 59, 0, 0, time.UTC)
	for now, want := range map[time.Time]string{
		deadline.Add(-10 * 24 * time.Hour): "10 days left",
		deadline.Add(-30 * time.Hour):      "1 day left",
		deadline.Add(-2 * time.Hour):       "ends today",
		deadline.Add(time.Minute):          "ended",
	} {
		if got := DaysLeft(now, deadline); got != want {
			t.Errorf("DaysLeft(%v) = %q, want %q", now, got, want)
		}
	}
}

func TestListWordsAndPlural(t *testing.T) {
	if got := ListWords([]string{"a", "b", "c"}); got != "a, b and c" {
		t.Errorf("ListWords = %q", got)
	}
	if got := ListWords([]string{"a"}); got != "a" {
		t.Errorf("ListWords = %q", got)
	}
	if Plural(1, "month", "months") != "1 month" || Plural(2, "month", "months") != "2 months" {
		t.Error("Plural")
	}
}
