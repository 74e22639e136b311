package jobs

import (
	"testing"
	"time"
)

func TestRemindersRunDailyAtTheSameHour(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	schedule := dailyAt{hour: 16}
	for now, want := range map[string]string{
		"2019-03-01T09:00:00Z":      "2019-03-01T16:00:00Z",
		"2019-03-01T16:00:00Z":      "2019-03-02T16:00:00Z", // just ran
		"2019-03-31T23:59:00Z":      "2019-04-01T16:00:00Z",
		"2019-03-01T10:00:00-08:00": "2019-03-02T16:00:00Z", // 18:00 UTC
	} {
		if got := schedule.Next(at(now)); !got.Equal(at(want)) {
			t.Errorf("after %s: %s, want %s", now, got, want)
		}
	}
}

func TestMessageIDIsTheDedupeKeyOfThisInstallation(t *testing.T) {
	const inst = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	for key, want := range map[string]string{
		"invitation:12":   "invitation.12." + inst + ".referrals@example.com",
		"friend_joined:7": "friend_joined.7." + inst + ".referrals@example.com",
		"odd key <x>@y":   "=6f6464206b6579203c783e4079." + inst + ".referrals@example.com",
		"invitation.12":   "=696e7669746174696f6e2e3132." + inst + ".referrals@example.com", // not the same as invitation:12
	} {
		if got := MessageID(key, inst, "Referrals@example.com"); got != want {
			t.Errorf("MessageID(%q) = %q, want %q", key, got, want)
		}
	}
	if got := MessageID("reminder:3", inst, "nobody"); got != "reminder.3."+inst+".referrals@referrals.invalid" {
		t.Errorf("without a sender domain: %q", got)
	}
	if MessageID("invitation:1", inst, "a@b.c") == MessageID("invitation:1", "another0installation", "a@b.c") {
		t.Error("two installations give their first invitation the same Message-ID")
	}
}
