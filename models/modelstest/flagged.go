package modelstest

import (
	"context"
	"testing"
	"time"

	"referrals/models"
)

// FlaggedPayoutFixture makes f's payout (see PendingPayoutFixture) come about through
// the facts behind each of flags, so the rules find them: fast qualifies within a day,
// same_ip has the referrer sign in from the friend's address, single_client earns
// from one client, referrer_is_client has one earning paid by the referrer's own client
// account. Other flags cannot be asked for here.
func (db *DB) FlaggedPayoutFixture(t testing.TB, f PendingPayout, flags ...string) Fixture {
	t.Helper()
	earnings := []FixtureEarning{{AmountCents: 30000, ClientID: "cl_1"}, {AmountCents: 20000, ClientID: "cl_2"}}
	for _, flag := range flags {
		switch flag {
		case models.FlagFast:
			f.QualifyIn = 24 * time.Hour
		case models.FlagSameIP:
			f.FriendIP, f.ReferrerIP = "198.51.100.77", "198.51.100.77"
		case models.FlagSingleClient:
			earnings = []FixtureEarning{{AmountCents: 30000, ClientID: "cl_1"}, {AmountCents: 20000, ClientID: "cl_1"}}
		case models.FlagReferrerIsClient:
			referrer, _ := db.FixtureReferrer(t, f.ReferrerEmail, f.ReferrerName)
			client := "cl_own_" + referrer.Email
			_, err := db.Store.UpsertFreelancers(context.Background(), []models.FreelancerProfile{{Email: referrer.Email, ClientAccountID: &client}})
			if err != nil {
				t.Fatal(err)
			}
			earnings[0].ClientID = client
		default:
			t.Fatalf("FlaggedPayoutFixture cannot make %s", flag)
		}
	}
	if len(f.Earnings) == 0 {
		f.Earnings = earnings
	}
	return db.PendingPayoutFixture(t, f)
}
