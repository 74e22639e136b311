package models_test

import (
	"context"
	"fmt"
	"testing"

	"referrals/models"
	"referrals/models/modelstest"
)

// BenchmarkRecordEarnings delivers batches of 1000 new events, as the API does: a fifth
// for 200 referred friends, the rest for freelancers the program does not know, on
// SQLite and on PostgreSQL. Run: go test ./models -run '^$' -bench RecordEarnings
func BenchmarkRecordEarnings(b *testing.B) {
	for _, open := range []struct {
		name string
		open func(testing.TB) *modelstest.DB
	}{{"sqlite", modelstest.SQLite}, {"postgres", modelstest.Postgres}} {
		b.Run(open.name, func(b *testing.B) {
			db := open.open(b)
			friends := benchFriends(b, db, 200)
			b.ResetTimer()
			for n := 0; b.Loop(); n++ {
				events := make([]models.EarningEvent, 1000)
				for i := range events {
					email := fmt.Sprintf("stranger%d@example.com", i)
					if i%5 == 0 {
						email = friends[(i/5)%len(friends)]
					}
					events[i] = models.EarningEvent{
						ID: fmt.Sprintf("bench_%d_%d", n, i), FreelancerEmail: email, AmountCents: 100, Currency: "USD",
						Category: "Customer Service", ClientID: "cl_9", OccurredAt: "2019-03-02T17:00:00Z",
					}
				}
				if _, err := db.Store.RecordEarnings(context.Background(), events); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// benchFriends creates the standard program, Maria, and n friends referred by her
// (password-less profiles with referrals inserted directly: hashing n passwords would
// dominate the set-up), and returns the friends' emails.
func benchFriends(b *testing.B, db *modelstest.DB, n int) []string {
	ctx := context.Background()
	p, err := db.Store.CreateProgram(ctx, models.CLIActor(), models.ProgramInput{Slug: "cs", Name: "CS", Deadline: "2019-04-15"})
	if err != nil {
		b.Fatal(err)
	}
	name := "Friend"
	profiles := []models.FreelancerProfile{{Email: "maria@example.com", Name: &name, Country: ptr("US"), TopRated: ptr(true)}}
	for i := range n {
		profiles = append(profiles, models.FreelancerProfile{Email: fmt.Sprintf("friend%d@example.com", i), Name: &name})
	}
	res, err := db.Store.UpsertFreelancers(ctx, profiles)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), p.Slug); err != nil {
		b.Fatal(err)
	}
	emails := make([]string, n)
	for i, r := range res[1:] {
		emails[i] = r.Email
		_, err := db.Store.DB().Exec(fmt.Sprintf("INSERT INTO referrals (program_id, invitation_id, referrer_id, friend_id, registered_at, status) "+
			"SELECT %d, id, referrer_id, %d, '2019-03-01 17:00:00.000', 'registered' FROM invitations", p.ID, r.UserID))
		if err != nil {
			b.Fatal(err)
		}
	}
	return emails
}
