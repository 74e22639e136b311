package models_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// referred creates the standard program, Maria invited to it, and Sam referred by her
// (registered at modelstest.Start); it returns the program, Maria and Sam's referral.
func referred(t *testing.T, db *modelstest.DB) (models.Program, models.User, models.Referral) {
	t.Helper()
	p, referrer, code := invited(t, db)
	res, err := db.Store.SignUpFriend(context.Background(), friend("sam@example.com", code))
	if err != nil || res.Referral == nil {
		t.Fatalf("sign up Sam: %+v, %v", res, err)
	}
	return p, referrer, *res.Referral
}

// earning is a Customer Service earning of Sam's, a day after he signed up.
func earning(id string, cents int64) models.EarningEvent {
	return models.EarningEvent{
		ID: id, FreelancerEmail: "sam@example.com", AmountCents: cents, Currency: "USD",
		Category: "Customer Service", ClientID: "cl_9", OccurredAt: "2019-03-02T17:00:00Z",
	}
}

func record(t *testing.T, db *modelstest.DB, events ...models.EarningEvent) []models.EventResult {
	t.Helper()
	res, err := db.Store.RecordEarnings(context.Background(), events)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(events) {
		t.Fatalf("%d results for %d events", len(res), len(events))
	}
	return res
}

// counted is the referral's stored total and status.
func counted(t *testing.T, db *modelstest.DB, referralID int64) (int64, string) {
	t.Helper()
	var cents int64
	var status string
	if err := db.Store.DB().QueryRow("SELECT counted_cents, status FROM referrals WHERE id = "+itoa(referralID)).Scan(&cents, &status); err != nil {
		t.Fatal(err)
	}
	return cents, status
}

// payoutFlags reads the flags of the referral's payout ("" when it has none).
func payoutFlags(t *testing.T, db *modelstest.DB, referralID int64) string {
	t.Helper()
	var flags string
	if err := db.Store.DB().QueryRow("SELECT flags FROM payouts WHERE referral_id = " + itoa(referralID)).Scan(&flags); err != nil {
		t.Fatal(err)
	}
	return flags
}

func statuses(res []models.EventResult) string {
	parts := make([]string, len(res))
	for i, r := range res {
		parts[i] = string(r.Status)
		if r.Reason != "" {
			parts[i] += " (" + r.Reason + ")"
		}
	}
	return strings.Join(parts, ", ")
}

func TestProgramCountsAppliesR6(t *testing.T) {
	loc, _ := time.LoadLocation("America/Los_Angeles")
	registered := time.Date(2019, 3, 1, 17, 0, 0, 0, time.UTC)
	deadline, _ := models.EndOfDay("2019-04-15", loc)
	p := models.Program{ID: 1, Categories: []string{"Customer Service"}, Deadline: deadline}
	friendID, otherID := int64(7), int64(8)
	r := &models.Referral{ID: 3, ProgramID: 1, FriendID: friendID, RegisteredAt: registered}
	e := func(who int64, category string, at time.Time, cents int64) models.Earning {
		return models.Earning{FreelancerID: &who, Category: category, OccurredAt: at, AmountCents: cents}
	}
	cases := []struct {
		name   string
		r      *models.Referral
		e      models.Earning
		reason string
	}{
		{"a friend's earning in the category", r, e(friendID, "Customer Service", registered.Add(time.Hour), 5000), ""},
		{"the category in another letter case", r, e(friendID, "  customer SERVICE ", registered.Add(time.Hour), 5000), ""},
		{"a refund", r, e(friendID, "Customer Service", registered.Add(time.Hour), -2500), ""},
		{"at the moment of registration", r, e(friendID, "Customer Service", registered, 5000), ""},
		{"at the deadline itself", r, e(friendID, "Customer Service", deadline, 5000), ""},
		{"someone never referred", nil, e(otherID, "Customer Service", registered.Add(time.Hour), 5000), models.ReasonNotReferredFriend},
		{"someone else's earning", r, e(otherID, "Customer Service", registered.Add(time.Hour), 5000), models.ReasonNotReferredFriend},
		{"another category", r, e(friendID, "Design", registered.Add(time.Hour), 5000), models.ReasonOtherCategory},
		{"before registration", r, e(friendID, "Customer Service", registered.Add(-time.Second), 5000), models.ReasonBeforeRegistration},
		{"after the deadline", r, e(friendID, "Customer Service", deadline.Add(time.Millisecond), 5000), models.ReasonAfterDeadline},
	}
	for _, c := range cases {
		ok, reason := p.Counts(c.r, c.e)
		if ok != (c.reason == "") || reason != c.reason {
			t.Errorf("%s: counts=%v reason=%q, want reason %q", c.name, ok, reason, c.reason)
		}
	}
}

func TestRecordEarningsAnswersEachEventInOrder(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		user(t, db, newFreelancer("ana@example.com"))
		design := earning("e3", 1000)
		design.Category = "Design"
		early := earning("e4", 1000)
		early.OccurredAt = "2019-03-01T16:59:59Z"
		late := earning("e5", 1000)
		late.OccurredAt = "2019-04-16T07:00:00Z" // 00:00 on April 16 in Los Angeles
		stranger := earning("e6", 1000)
		stranger.FreelancerEmail = "ana@example.com"
		unknown := earning("e7", 1000)
		unknown.FreelancerEmail = "nobody@example.com"
		euro := earning("e8", 1000)
		euro.Currency = "EUR"
		res := record(t, db, earning("e1", 30000), earning("e2", -2500), design, early, late, stranger, unknown, euro, earning("e1", 30000))
		want := []struct {
			status models.EventStatus
			reason string
		}{
			{models.EventAccepted, ""}, {models.EventAccepted, ""},
			{models.EventIgnored, models.ReasonOtherCategory},
			{models.EventIgnored, models.ReasonBeforeRegistration},
			{models.EventIgnored, models.ReasonAfterDeadline},
			{models.EventIgnored, models.ReasonNotReferredFriend},
			{models.EventIgnored, models.ReasonNotReferredFriend},
			{models.EventRejected, `unknown currency "EUR": only USD is accepted`},
			{models.EventDuplicate, ""},
		}
		for i, w := range want {
			if res[i].ID != fmt.Sprintf("e%d", i+1) && i < 8 || res[i].Status != w.status || res[i].Reason != w.reason {
				t.Errorf("event %d: %+v, want %s %q", i, res[i], w.status, w.reason)
			}
		}
		if cents, status := counted(t, db, ref.ID); cents != 27500 || status != "earning" {
			t.Errorf("referral total %d (%s), want 27500 (earning)", cents, status)
		}
		if n := db.Count(t, "earnings", ""); n != 7 {
			t.Errorf("%d earnings stored, want 7 (every accepted and ignored event, once)", n)
		}
		if n := db.Count(t, "earnings", "status = 'ignored' AND reason = ?", models.ReasonOtherCategory); n != 1 {
			t.Error("the ignored earning is not stored with its reason")
		}
	})
}

func TestRecordEarningsRejectsInvalidEventsAndStoresNothingOfThem(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		referred(t, db)
		edit := func(f func(*models.EarningEvent)) models.EarningEvent {
			e := earning("x", 1000)
			f(&e)
			return e
		}
		cases := map[string]models.EarningEvent{
			"id is missing":                            edit(func(e *models.EarningEvent) { e.ID = " " }),
			"freelancer_email is missing":              edit(func(e *models.EarningEvent) { e.FreelancerEmail = "" }),
			"freelancer_email is not an email address": edit(func(e *models.EarningEvent) { e.FreelancerEmail = "sam at example" }),
			"amount is 0 or missing":                   edit(func(e *models.EarningEvent) { e.AmountCents = 0 }),
			"amount is larger than":                    edit(func(e *models.EarningEvent) { e.AmountCents = models.MaxAmountCents + 1 }),
			"currency is missing":                      edit(func(e *models.EarningEvent) { e.Currency = "" }),
			`unknown currency "EUR"`:                   edit(func(e *models.EarningEvent) { e.Currency = "eur" }),
			"category is missing":                      edit(func(e *models.EarningEvent) { e.Category = "" }),
			"client_id is missing":                     edit(func(e *models.EarningEvent) { e.ClientID = "" }),
			"occurred_at is missing":                   edit(func(e *models.EarningEvent) { e.OccurredAt = "" }),
			"is not a time like":                       edit(func(e *models.EarningEvent) { e.OccurredAt = "March 2nd" }),
			"out of range":                             edit(func(e *models.EarningEvent) { e.OccurredAt = "1969-12-31T00:00:00Z" }),
			"out of range (years":                      edit(func(e *models.EarningEvent) { e.OccurredAt = "9999-12-31" }),
			"id contains control characters":           edit(func(e *models.EarningEvent) { e.ID = "x\x00y" }),
			"client_id is longer than":                 edit(func(e *models.EarningEvent) { e.ClientID = strings.Repeat("c", 201) }),
			"unknown freelancer_id 999":                edit(func(e *models.EarningEvent) { e.FreelancerID = 999 }),
		}
		for want, e := range cases {
			res := record(t, db, e)
			if res[0].Status != models.EventRejected || !strings.Contains(res[0].Reason, want) {
				t.Errorf("%s: %+v", want, res[0])
			}
		}
		if n := db.Count(t, "earnings", ""); n != 0 {
			t.Errorf("%d rejected events were stored", n)
		}
	})
}

func TestRedeliveryIsADuplicateAndAnotherPayloadIsAConflict(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		e := earning("evt_1", 12345)
		record(t, db, e)

		same := e
		same.FreelancerEmail, same.Currency, same.Category = "  SAM@Example.com", "usd", "customer service"
		same.OccurredAt = "2019-03-02T09:00:00-08:00" // the same instant
		byID := e
		byID.FreelancerEmail, byID.FreelancerID = "", ref.FriendID
		more := e
		more.AmountCents = 99999
		otherClient := e
		otherClient.ClientID = "cl_other"
		res := record(t, db, e, same, byID, more, otherClient)
		if got := statuses(res); got != "duplicate, duplicate, duplicate, rejected (conflicting payload for a known id), rejected (conflicting payload for a known id)" {
			t.Errorf("redeliveries: %s", got)
		}
		if cents, _ := counted(t, db, ref.ID); cents != 12345 {
			t.Errorf("total %d after redelivery, want 12345", cents)
		}
		// In one batch: the first is stored, a repeat is a duplicate, a changed repeat a conflict.
		res = record(t, db, earning("evt_2", 100), earning("evt_2", 100), earning("evt_2", 200))
		if got := statuses(res); got != "accepted, duplicate, rejected (conflicting payload for a known id)" {
			t.Errorf("repeats in one batch: %s", got)
		}
		if cents, _ := counted(t, db, ref.ID); cents != 12445 {
			t.Errorf("total %d, want 12445", cents)
		}
	})
}

func TestFreelancerIDStandsForTheEmail(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, referrer, ref := referred(t, db)
		e := earning("by-id", 5000)
		e.FreelancerEmail, e.FreelancerID = "", ref.FriendID
		both := earning("both", 5000)
		both.FreelancerID = ref.FriendID
		mismatch := earning("mismatch", 5000)
		mismatch.FreelancerID = referrer.ID
		res := record(t, db, e, both, mismatch)
		if got := statuses(res); got != "accepted, accepted, rejected (freelancer_id and freelancer_email name different freelancers)" {
			t.Errorf("%s", got)
		}
		if n := db.Count(t, "earnings", "freelancer_email = 'sam@example.com'"); n != 2 {
			t.Errorf("%d earnings stored under Sam's email, want 2", n)
		}
	})
}

func TestCrossingTheThresholdQualifiesOnceWithOnePayoutAndOneEmail(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		p, referrer, ref := referred(t, db)
		record(t, db, earning("a", 30000))
		if db.Count(t, "payouts", "") != 0 {
			t.Fatal("a payout before the threshold")
		}
		db.Clock.Advance(time.Hour)
		record(t, db, earning("b", 20000))
		cents, status := counted(t, db, ref.ID)
		if cents != 50000 || status != "qualified" {
			t.Fatalf("total %d (%s), want 50000 qualified", cents, status)
		}
		if n := db.Count(t, "referrals", "id = ? AND qualified_at = ?", ref.ID, db.Clock.Now()); n != 1 {
			t.Error("qualified_at is not the time the referral qualified")
		}
		if n := db.Count(t, "payouts", "referral_id = ? AND referrer_id = ? AND program_id = ? AND amount_cents = ? AND status = 'pending_review'",
			ref.ID, referrer.ID, p.ID, p.RewardCents); n != 1 {
			t.Fatal("no payout of the reward pending review")
		}
		if n := db.Count(t, "emails", "kind = 'friend_qualified' AND recipient = 'maria@example.com'"); n != 1 {
			t.Fatalf("%d 'your friend qualified' emails, want 1", n)
		}
		record(t, db, earning("c", 70000), earning("d", -10000))
		if cents, _ := counted(t, db, ref.ID); cents != 110000 {
			t.Errorf("total %d after more earnings, want 110000", cents)
		}
		if db.Count(t, "payouts", "") != 1 || db.Count(t, "emails", "kind = 'friend_qualified'") != 1 {
			t.Error("earnings after qualifying made a second payout or email")
		}
	})
}

func TestARefundBelowTheThresholdFlagsTheUnpaidPayout(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		record(t, db, earning("a", 50000))
		if strings.Contains(payoutFlags(t, db, ref.ID), models.FlagBelowThreshold) {
			t.Fatal("flagged below the threshold at 50000")
		}
		record(t, db, earning("refund", -5000))
		if cents, status := counted(t, db, ref.ID); cents != 45000 || status != "qualified" {
			t.Errorf("after the refund: %d (%s), want 45000, still qualified", cents, status)
		}
		if !strings.Contains(payoutFlags(t, db, ref.ID), models.FlagBelowThreshold) {
			t.Fatalf("payout flags %s: want below_threshold after the refund", payoutFlags(t, db, ref.ID))
		}
		if db.Count(t, "payouts", "status = 'pending_review'") != 1 {
			t.Fatal("the payout was dropped")
		}
		record(t, db, earning("again", 6000))
		if strings.Contains(payoutFlags(t, db, ref.ID), models.FlagBelowThreshold) {
			t.Errorf("payout flags %s: want below_threshold gone once the total is back up", payoutFlags(t, db, ref.ID))
		}
		// An approved, unpaid payout is flagged too, for whoever pays the batch.
		approved := db.FixturePayout(t, ref, models.PayoutApproved)
		record(t, db, earning("refund2", -20000))
		if !strings.Contains(payoutFlags(t, db, ref.ID), models.FlagBelowThreshold) {
			t.Error("an approved, unpaid payout was not flagged by a refund below the threshold")
		}
		// A paid payout keeps the flags it was paid with.
		if _, err := db.Store.PayBatch(context.Background(), db.FixtureStaff(t), "2019-03"); err != nil || db.Count(t, "ledger_entries", "payout_id = ?", approved) != 1 {
			t.Fatalf("pay the batch: %v", err)
		}
		record(t, db, earning("again2", 30000))
		if !strings.Contains(payoutFlags(t, db, ref.ID), models.FlagBelowThreshold) {
			t.Error("a paid payout's flags changed")
		}
	})
}

func TestABatchQualifiesExactlyWhenItsEventsOneByOneWould(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		// Refund first: the running total never reaches $500.
		record(t, db, earning("r", -20000), earning("a", 60000))
		if _, status := counted(t, db, ref.ID); status == "qualified" {
			t.Fatal("qualified though the total never reached the threshold in order")
		}
		// Earning then refund: it reached $600 before falling back to $400 + $100.
		record(t, db, earning("b", 60000), earning("r2", -50000))
		cents, status := counted(t, db, ref.ID)
		if cents != 50000 || status != "qualified" {
			t.Fatalf("%d (%s), want 50000 qualified", cents, status)
		}
	})
}

func TestACrossingAndARefundInOneBatchFlagTheNewPayout(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		record(t, db, earning("a", 60000), earning("r", -20000))
		if _, status := counted(t, db, ref.ID); status != "qualified" {
			t.Fatal("not qualified")
		}
		if !strings.Contains(payoutFlags(t, db, ref.ID), models.FlagBelowThreshold) {
			t.Errorf("flags %s: want below_threshold", payoutFlags(t, db, ref.ID))
		}
	})
}

func TestRedeliveryInAnyOrderNeverChangesATotal(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		var events []models.EarningEvent
		var want int64
		for i := range 30 {
			cents := int64(1000 + 137*i)
			if i%7 == 3 {
				cents = -cents
			}
			want += cents
			events = append(events, earning(fmt.Sprintf("evt_%d", i), cents))
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for round := range 6 {
			shuffled := slices.Clone(events)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			for len(shuffled) > 0 {
				n := min(len(shuffled), 1+rng.IntN(8))
				record(t, db, shuffled[:n]...)
				shuffled = shuffled[n:]
			}
			if cents, _ := counted(t, db, ref.ID); cents != want {
				t.Fatalf("round %d: total %d, want %d", round, cents, want)
			}
		}
		if n := db.Count(t, "earnings", ""); n != int64(len(events)) {
			t.Errorf("%d earnings stored, want %d", n, len(events))
		}
		if db.Count(t, "payouts", "") != 1 {
			t.Error("want exactly one payout")
		}
	})
}

func TestConcurrentDeliveriesOfTheSameCrossingEventQualifyOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		record(t, db, earning("base", 40000))
		var wg sync.WaitGroup
		var mu sync.Mutex
		got := map[models.EventStatus]int{}
		for range 50 {
			wg.Go(func() {
				res, err := db.Store.RecordEarnings(context.Background(), []models.EarningEvent{earning("crossing", 10000)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got[res[0].Status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if got[models.EventAccepted] != 1 || got[models.EventDuplicate] != 49 {
			t.Errorf("answers %v, want 1 accepted and 49 duplicates", got)
		}
		assertQualifiedOnce(t, db, ref.ID, 50000)
	})
}

func TestConcurrentDifferentEventsThatTogetherCrossQualifyOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				// Each goroutine also redelivers its neighbour's event.
				events := []models.EarningEvent{earning(fmt.Sprintf("part_%d", i), 1000), earning(fmt.Sprintf("part_%d", (i+1)%50), 1000)}
				if _, err := db.Store.RecordEarnings(context.Background(), events); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		assertQualifiedOnce(t, db, ref.ID, 50000)
	})
}

func assertQualifiedOnce(t *testing.T, db *modelstest.DB, referralID, wantCents int64) {
	t.Helper()
	cents, status := counted(t, db, referralID)
	if cents != wantCents || status != "qualified" {
		t.Errorf("total %d (%s), want %d qualified", cents, status, wantCents)
	}
	if n := db.Count(t, "payouts", ""); n != 1 {
		t.Errorf("%d payouts, want exactly 1", n)
	}
	if n := db.Count(t, "emails", "kind = 'friend_qualified'"); n != 1 {
		t.Errorf("%d 'your friend qualified' emails, want exactly 1", n)
	}
}

func TestAnEarningDatedByDayCountsForTheWholeDayInTheProgramsZone(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db) // Sam signed up at 09:00 PST on March 1
		day := func(id, date string) models.EarningEvent {
			e := earning(id, 1000)
			e.OccurredAt = date
			return e
		}
		res := record(t, db, day("signup-day", "2019-03-01"), day("deadline-day", "2019-04-15"),
			day("day-after", "2019-04-16"), day("day-before", "2019-02-28"))
		if got := statuses(res); got != "accepted, accepted, ignored (after the deadline), ignored (before registration)" {
			t.Errorf("%s", got)
		}
		if cents, _ := counted(t, db, ref.ID); cents != 2000 {
			t.Errorf("total %d, want 2000", cents)
		}
		// Stored as the last instant of April 15 in Los Angeles.
		want := time.Date(2019, 4, 16, 6, 59, 59, 999e6, time.UTC)
		if n := db.Count(t, "earnings", "external_id = 'deadline-day' AND occurred_at = ?", want); n != 1 {
			t.Error("a date-only earning is not stored as the end of that day in the program's zone")
		}
	})
}

func TestBatchesLargerThanAChunkAreRecordedWhole(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		events := make([]models.EarningEvent, 2500)
		for i := range events {
			events[i] = earning(fmt.Sprintf("bulk_%04d", i), 100)
			if i%2 == 1 {
				events[i].FreelancerEmail = fmt.Sprintf("someone%d@example.com", i)
			}
		}
		res := record(t, db, events...)
		for i, r := range res {
			if want := map[bool]models.EventStatus{true: models.EventAccepted, false: models.EventIgnored}[i%2 == 0]; r.Status != want || r.ID != events[i].ID {
				t.Fatalf("event %d: %+v, want %s", i, r, want)
			}
		}
		if cents, status := counted(t, db, ref.ID); cents != 125000 || status != "qualified" {
			t.Errorf("total %d (%s), want 125000 qualified", cents, status)
		}
	})
}
