package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Clicks (R4) are counted per invitation and per calendar day of the program's time zone
// in invitation_clicks, one counter row upserted per click, so a referrer's activity over
// time is read from at most one row per day of the program, whatever the number of
// clicks. invitations.clicks keeps the running total beside it, in the same transaction.

// dayFormat is how a calendar day is written in invitation_clicks.day.
const dayFormat = "2006-01-02"

// recordClick adds one click to the invitation's counter for day.
func recordClick(tx *gorm.DB, invitationID int64, day string) error {
	// An upsert, so concurrent clicks on one day add up without a lost update.
	err := tx.Exec(`INSERT INTO invitation_clicks (invitation_id, day, clicks) VALUES (?, ?, 1)
		ON CONFLICT (invitation_id, day) DO UPDATE SET clicks = invitation_clicks.clicks + 1`, invitationID, day).Error
	if err != nil {
		return fmt.Errorf("count a click on invitation %d: %w", invitationID, err)
	}
	return nil
}

// weeklyAfter: a program that runs longer than this is charted per week, not per day.
const weeklyAfter = 60 * 24 * time.Hour

// ActivityBucket is one bar of a referrer's activity chart: a day, or a week starting on a
// Monday, in the program's time zone.
type ActivityBucket struct {
	// Start is the bucket's first day (midnight in the program's zone).
	Start     time.Time
	Clicks    int64
	SignUps   int64
	Qualified int64
}

// Activity is a referrer's clicks, sign-ups and qualifications over a program's life, from
// the day it was created to today (or to its deadline, once past).
type Activity struct {
	// Weekly: each bucket is a week (the program runs longer than 60 days).
	Weekly  bool
	Buckets []ActivityBucket
}

// Totals sums the buckets.
func (a Activity) Totals() ActivityBucket {
	var t ActivityBucket
	for _, b := range a.Buckets {
		t.Clicks += b.Clicks
		t.SignUps += b.SignUps
		t.Qualified += b.Qualified
	}
	return t
}

// buildActivity lays a referrer's events in program p out in buckets from the program's
// first day to now (or its deadline): clicks by day number, and the instants friends
// signed up and qualified. Events outside the range fall in the first or last bucket, so
// the totals always match.
func buildActivity(p Program, now time.Time, clicks []dayClicks, signedUp, qualified []time.Time) Activity {
	loc := p.Location()
	a := Activity{Weekly: p.Deadline.Sub(p.CreatedAt) > weeklyAfter}
	first := midnight(p.CreatedAt, loc)
	end := now
	if p.Deadline.Before(now) {
		end = p.Deadline
	}
	last := midnight(end, loc)
	stepDays := 1
	if a.Weekly {
		first = monday(first)
		last = monday(last)
		stepDays = 7
	}
	firstDay := dayNumber(first)
	n := max(1, (dayNumber(last)-firstDay)/stepDays+1) // a program created after its deadline has one
	a.Buckets = make([]ActivityBucket, 0, n)
	for d := first; !d.After(last); d = d.AddDate(0, 0, stepDays) {
		a.Buckets = append(a.Buckets, ActivityBucket{Start: d})
	}
	if len(a.Buckets) == 0 { // a program created after its deadline
		a.Buckets = append(a.Buckets, ActivityBucket{Start: first})
	}
	// index is the bucket of a day number, clamped to the range.
	index := func(day int) int {
		return max(0, min((day-firstDay)/stepDays, len(a.Buckets)-1))
	}
	for _, c := range clicks {
		a.Buckets[index(c.day)].Clicks += c.clicks
	}
	for _, t := range signedUp {
		a.Buckets[index(dayNumber(t.In(loc)))].SignUps++
	}
	for _, t := range qualified {
		a.Buckets[index(dayNumber(t.In(loc)))].Qualified++
	}
	return a
}

// midnight is the start of t's calendar day in loc.
func midnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// dayNumber counts calendar days (of t's own zone) since 1970, so that subtracting two
// gives whole days whatever daylight saving time does in between.
func dayNumber(t time.Time) int {
	return int(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// parseDayNumber is dayNumber of a day written YYYY-MM-DD, read without time.Parse (a
// dashboard reads one per day of its program).
func parseDayNumber[S ~string | ~[]byte](day S) (int, bool) {
	if len(day) != 10 || day[4] != '-' || day[7] != '-' {
		return 0, false
	}
	y, ok1 := atoi(day[:4])
	m, ok2 := atoi(day[5:7])
	d, ok3 := atoi(day[8:])
	if !ok1 || !ok2 || !ok3 {
		return 0, false
	}
	return int(time.Date(int(y), time.Month(m), int(d), 0, 0, 0, 0, time.UTC).Unix() / 86400), true
}

// monday is the Monday on or before day d (a midnight).
func monday(d time.Time) time.Time {
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}
