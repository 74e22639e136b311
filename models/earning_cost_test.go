package models

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// countStatements counts every statement gorm sends while fn runs.
func countStatements(s *Store, fn func()) int64 {
	var n atomic.Int64
	var on atomic.Bool
	count := func(*gorm.DB) {
		if on.Load() {
			n.Add(1)
		}
	}
	cb := s.db.Callback()
	name := fmt.Sprintf("test:count:%p", &n)
	cb.Create().Before("gorm:create").Register(name, count)
	cb.Query().Before("gorm:query").Register(name, count)
	cb.Update().Before("gorm:update").Register(name, count)
	cb.Delete().Before("gorm:delete").Register(name, count)
	cb.Row().Before("gorm:row").Register(name, count)
	cb.Raw().Before("gorm:raw").Register(name, count)
	// Statements sent under gorm (Store.txQuery) count too.
	s.onDirect = func() { count(nil) }
	defer func() { s.onDirect = nil }()
	on.Store(true)
	fn()
	on.Store(false)
	return n.Load()
}

// TestABatchCostsAFewStatementsWhateverItsSize pins the set-based cost stated on
// recordEarnings: statements per batch, not per event (SQLite; PostgreSQL adds the
// ordered row lock).
func TestABatchCostsAFewStatementsWhateverItsSize(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{DataDir: t.TempDir(), Clock: fixedClock(time.Date(2019, 3, 1, 17, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProgram(ctx, CLIActor(), ProgramInput{Slug: "cs", Name: "CS", Deadline: "2019-04-15"})
	if err != nil {
		t.Fatal(err)
	}
	name, us := "Friend", "US"
	yes := true
	profiles := []FreelancerProfile{{Email: "maria@example.com", Name: &name, Country: &us, TopRated: &yes}}
	for i := range 50 {
		profiles = append(profiles, FreelancerProfile{Email: fmt.Sprintf("friend%d@example.com", i), Name: &name})
	}
	res, err := s.UpsertFreelancers(ctx, profiles)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.InviteProgram(ctx, CLIActor(), p.Slug); err != nil {
		t.Fatal(err)
	}
	for _, r := range res[1:] {
		err := s.db.Exec("INSERT INTO referrals (program_id, invitation_id, referrer_id, friend_id, registered_at, status) "+
			"SELECT ?, id, referrer_id, ?, ?, 'registered' FROM invitations", p.ID, r.UserID, s.Now()).Error
		if err != nil {
			t.Fatal(err)
		}
	}
	batch := func(prefix string, cents int64) []EarningEvent {
		events := make([]EarningEvent, 1000)
		for i := range events {
			email := fmt.Sprintf("stranger%d@example.com", i)
			if i%2 == 0 {
				email = fmt.Sprintf("friend%d@example.com", (i/2)%50) // ten events each
			}
			events[i] = EarningEvent{ID: fmt.Sprintf("%s_%d", prefix, i), FreelancerEmail: email, AmountCents: cents,
				Currency: "USD", Category: DefaultCategory, ClientID: "cl", OccurredAt: "2019-03-02"}
		}
		return events
	}
	record := func(events []EarningEvent) int64 {
		return countStatements(s, func() {
			if _, err := s.RecordEarnings(ctx, events); err != nil {
				t.Fatal(err)
			}
		})
	}
	// 500 counted events for 50 referrals, 500 for strangers: the freelancers with their
	// referrals (one statement), their programs, the insert, one update of the 50 totals.
	if n := record(batch("a", 100)); n != 4 {
		t.Errorf("a batch of 1000 new events: %d statements, want 4", n)
	}
	// Redelivered: the insert stores nothing, one re-read classifies all as duplicates,
	// and no total moves.
	if n := record(batch("a", 100)); n != 4 {
		t.Errorf("a redelivered batch: %d statements, want 4", n)
	}
	// All 50 referrals cross the threshold: + qualify, referrals, users, earnings,
	// addresses, payouts, the 50 emails (one insert), the webhook endpoints (none: no
	// events).
	if n := record(batch("b", 5000)); n != 4+8 {
		t.Errorf("a batch qualifying 50 referrals: %d statements, want %d", n, 4+8)
	}
	// Refunds under the threshold: + the pending payouts, and one flag update each.
	if n := record(batch("c", -600)); n != 4+1+50 {
		t.Errorf("a batch of refunds: %d statements, want %d", n, 4+1+50)
	}
}
