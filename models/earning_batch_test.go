package models_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// TestABatchMixingFriendsStrangersAndRepeatsStoresEachEventAsSent: one batch names
// referred friends by email, by id and by both, a freelancer with an account but no
// referral, addresses nobody has, and repeats ids within the batch and from an earlier
// one. Each event is stored once with the values it was sent with, each total moves by
// what counted, and the answers are in order.
func TestABatchMixingFriendsStrangersAndRepeatsStoresEachEventAsSent(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, code := db.FixtureReferrer(t, "maria@example.com", "Maria Santos")
		var friends []models.SignupResult
		for i := range 3 {
			friends = append(friends, db.FixtureSignUp(t, code, fmt.Sprintf("Friend %d", i), fmt.Sprintf("friend%d@example.com", i), ""))
		}
		ana := user(t, db, newFreelancer("ana@example.com"))
		ev := func(id, email string, cents int64) models.EarningEvent {
			e := earning(id, cents)
			e.FreelancerEmail = email
			return e
		}
		earlier := record(t, db, ev("old_1", "friend0@example.com", 700), ev("old_2", "nobody@example.com", 300))
		if got := statuses(earlier); got != "accepted, ignored (not a referred friend)" {
			t.Fatalf("first batch: %s", got)
		}
		db.Clock.Advance(time.Minute)

		byID := ev("m_byid", "", 2000)
		byID.FreelancerID = friends[1].Friend.ID
		both := ev("m_both", "FRIEND2@example.com", 3000)
		both.FreelancerID = friends[2].Friend.ID
		unknownID := ev("m_badid", "", 100)
		unknownID.FreelancerID = 987654
		batch := []models.EarningEvent{
			ev("m_1", "friend0@example.com", 1000),
			ev("m_2", "ana@example.com", 1100),
			ev("m_3", "stranger@example.com", 1200),
			byID,
			ev("m_1", " Friend0@Example.com ", 1000), // repeated within the batch, written differently
			ev("old_1", "friend0@example.com", 700),  // from the earlier batch
			ev("old_2", "nobody@example.com", 999),   // an earlier id with another payload
			both,
			unknownID,
			ev("m_4", "friend0@example.com", -400),
			ev("m_3", "stranger@example.com", 1200), // a stranger's repeat
		}
		res := record(t, db, batch...)
		want := "accepted, ignored (not a referred friend), ignored (not a referred friend), accepted, duplicate, duplicate, " +
			"rejected (conflicting payload for a known id), accepted, rejected (unknown freelancer_id 987654), accepted, duplicate"
		if got := statuses(res); got != want {
			t.Errorf("answers:\n %s\nwant\n %s", got, want)
		}
		for i, r := range res {
			if r.ID != batch[i].ID {
				t.Errorf("answer %d is for %q, want %q", i, r.ID, batch[i].ID)
			}
		}
		for i, cents := range []int64{700 + 1000 - 400, 2000, 3000} {
			if got, _ := counted(t, db, friends[i].Referral.ID); got != cents {
				t.Errorf("friend %d: total %d, want %d", i, got, cents)
			}
		}
		if n := db.Count(t, "earnings", ""); n != 2+6 {
			t.Errorf("%d earnings stored, want 8 (each id once)", n)
		}

		// Every column as sent: the rows are written column by column (arrays on
		// PostgreSQL), so a mix-up would show here.
		check := func(id string, email string, freelancerID, referralID *int64, cents int64, status, reason string) {
			t.Helper()
			var (
				gotEmail, currency, category, client, gotStatus, gotReason string
				gotFreelancer, gotReferral                                 *int64
				gotCents                                                   int64
				occurred, received                                         time.Time
			)
			db.QueryRow(t, "SELECT freelancer_email, freelancer_id, referral_id, amount_cents, currency, category, client_id, occurred_at, received_at, status, reason "+
				"FROM earnings WHERE external_id = ?", []any{&gotEmail, &gotFreelancer, &gotReferral, &gotCents, &currency, &category, &client, &occurred, &received, &gotStatus, &gotReason}, id)
			if gotEmail != email || fmt.Sprint(deref(gotFreelancer)) != fmt.Sprint(deref(freelancerID)) || fmt.Sprint(deref(gotReferral)) != fmt.Sprint(deref(referralID)) ||
				gotCents != cents || currency != "USD" || category != "Customer Service" || client != "cl_9" || gotStatus != status || gotReason != reason {
				t.Errorf("%s stored as %s %v %v %d %s %s %s %s %q, want %s %v %v %d USD Customer Service cl_9 %s %q", id, gotEmail, deref(gotFreelancer), deref(gotReferral),
					gotCents, currency, category, client, gotStatus, gotReason, email, deref(freelancerID), deref(referralID), cents, status, reason)
			}
			if want := time.Date(2019, 3, 2, 17, 0, 0, 0, time.UTC); !occurred.Equal(want) {
				t.Errorf("%s occurred at %s, want %s", id, occurred, want)
			}
			if !received.Equal(db.Clock.Now()) {
				t.Errorf("%s received at %s, want %s", id, received, db.Clock.Now())
			}
		}
		f0, f1, f2 := friends[0], friends[1], friends[2]
		check("m_1", "friend0@example.com", &f0.Friend.ID, &f0.Referral.ID, 1000, "counted", "")
		check("m_2", "ana@example.com", &ana.ID, nil, 1100, "ignored", models.ReasonNotReferredFriend)
		check("m_3", "stranger@example.com", nil, nil, 1200, "ignored", models.ReasonNotReferredFriend)
		check("m_byid", "friend1@example.com", &f1.Friend.ID, &f1.Referral.ID, 2000, "counted", "")
		check("m_both", "friend2@example.com", &f2.Friend.ID, &f2.Referral.ID, 3000, "counted", "")
		check("m_4", "friend0@example.com", &f0.Friend.ID, &f0.Referral.ID, -400, "counted", "")

		// The same batch again: nothing new, the same answers for what was stored.
		res = record(t, db, batch...)
		want = "duplicate, duplicate, duplicate, duplicate, duplicate, duplicate, " +
			"rejected (conflicting payload for a known id), duplicate, rejected (unknown freelancer_id 987654), duplicate, duplicate"
		if got := statuses(res); got != want {
			t.Errorf("the batch again:\n %s\nwant\n %s", got, want)
		}
		if got, _ := counted(t, db, f0.Referral.ID); got != 1300 {
			t.Errorf("friend 0: total %d after the redelivery, want 1300", got)
		}
	})
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestConcurrentOverlappingBatchesCountEachEventOnce: senders deliver overlapping
// batches at once (each a shuffled mix of shared ids, its own ids and strangers); every
// id is stored once and each referral's total is the sum of its distinct events.
func TestConcurrentOverlappingBatchesCountEachEventOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, code := db.FixtureReferrer(t, "maria@example.com", "Maria Santos")
		var refs []int64
		for i := range 4 {
			refs = append(refs, db.FixtureSignUp(t, code, fmt.Sprintf("Friend %d", i), fmt.Sprintf("friend%d@example.com", i), "").Referral.ID)
		}
		ev := func(id string, friend int) models.EarningEvent {
			e := earning(id, 100)
			e.FreelancerEmail = fmt.Sprintf("friend%d@example.com", friend)
			if friend >= 4 {
				e.FreelancerEmail = fmt.Sprintf("stranger%d@example.com", friend)
			}
			return e
		}
		const senders, shared, own = 6, 60, 20
		var wg sync.WaitGroup
		for g := range senders {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(g), 7))
				var events []models.EarningEvent
				for k := range shared {
					events = append(events, ev(fmt.Sprintf("shared_%d", k), k%6))
				}
				for k := range own {
					events = append(events, ev(fmt.Sprintf("own_%d_%d", g, k), k%6))
				}
				r.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
				if _, err := db.Store.RecordEarnings(context.Background(), events); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := db.Count(t, "earnings", ""); n != shared+senders*own {
			t.Errorf("%d earnings stored, want %d", n, shared+senders*own)
		}
		for i, id := range refs {
			// Events k%6 == i of the shared ones and of each sender's own.
			var want int64
			for k := range shared {
				if k%6 == i {
					want += 100
				}
			}
			for k := range own {
				if k%6 == i {
					want += 100 * senders
				}
			}
			if got, _ := counted(t, db, id); got != want {
				t.Errorf("friend %d: total %d, want %d", i, got, want)
			}
		}
	})
}

// TestAnImportOfThousandsOfRowsIsStoredWhole: a CSV import is one batch of any size (the
// API's are at most 1000); on SQLite its rows are stored a thousand to a statement, within
// the database's limit of bound parameters, and a second import of it is all duplicates.
func TestAnImportOfThousandsOfRowsIsStoredWhole(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		events := make([]models.EarningEvent, 3500)
		for i := range events {
			events[i] = earning(fmt.Sprintf("row_%04d", i), 1)
			if i%7 == 0 {
				events[i].FreelancerEmail = fmt.Sprintf("someone%d@example.com", i)
			}
		}
		for round, want := range []models.EventStatus{models.EventAccepted, models.EventDuplicate} {
			res := record(t, db, events...)
			for i, r := range res {
				w := want
				if want == models.EventAccepted && i%7 == 0 {
					w = models.EventIgnored
				}
				if r.Status != w || r.ID != events[i].ID {
					t.Fatalf("round %d, event %d: %+v, want %s", round, i, r, w)
				}
			}
		}
		if n := db.Count(t, "earnings", ""); n != 3500 {
			t.Errorf("%d earnings stored, want 3500", n)
		}
		if cents, _ := counted(t, db, ref.ID); cents != 3000 {
			t.Errorf("total %d, want 3000", cents)
		}
	})
}
