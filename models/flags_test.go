package models_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestFlagsApplyR12(t *testing.T) {
	registered := time.Date(2019, 3, 1, 17, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	paid := func(client string, cents int64, after time.Duration) models.Earning {
		return models.Earning{ClientID: client, AmountCents: cents, OccurredAt: registered.Add(after)}
	}
	// An unremarkable referral: two clients, qualified after five days, no shared address.
	base := func() models.FlagFacts {
		return models.FlagFacts{
			ThresholdCents: 50000, RegisteredAt: registered, QualifiedAt: registered.Add(5 * day), CountedCents: 50000,
			Earnings:                []models.Earning{paid("cl_a", 30000, 3*day), paid("cl_b", 20000, 4*day)},
			ReferrerClientAccountID: "cl_referrer", ReferrerIPs: []string{"198.51.100.1"}, FriendSignupIP: "203.0.113.7",
		}
	}
	cases := []struct {
		name string
		edit func(*models.FlagFacts)
		want []string
	}{
		{"nothing remarkable", func(*models.FlagFacts) {}, nil},
		{"a counted earning from the referrer's client account", func(f *models.FlagFacts) {
			f.Earnings = append(f.Earnings, paid("cl_referrer", 100, 4*day))
		}, []string{models.FlagReferrerIsClient}},
		{"a referrer with no client account", func(f *models.FlagFacts) {
			f.ReferrerClientAccountID = ""
			f.Earnings[0].ClientID = ""
		}, nil},
		{"the friend signed up from the referrer's address", func(f *models.FlagFacts) {
			f.ReferrerIPs = append(f.ReferrerIPs, "203.0.113.7")
		}, []string{models.FlagSameIP}},
		{"no sign-up address", func(f *models.FlagFacts) { f.FriendSignupIP, f.ReferrerIPs = "", []string{""} }, nil},
		{"exactly 90% from one client", func(f *models.FlagFacts) {
			f.Earnings = []models.Earning{paid("cl_a", 45000, 3*day), paid("cl_b", 5000, 4*day)}
		}, []string{models.FlagSingleClient}},
		{"just under 90% from one client", func(f *models.FlagFacts) {
			f.Earnings = []models.Earning{paid("cl_a", 44999, 3*day), paid("cl_b", 5001, 4*day)}
		}, nil},
		{"one client's share net of its refunds", func(f *models.FlagFacts) {
			f.Earnings = []models.Earning{paid("cl_a", 60000, 3*day), paid("cl_a", -20000, 3*day), paid("cl_b", 10000, 4*day)}
		}, nil},
		{"qualified 48 hours after sign-up", func(f *models.FlagFacts) {
			f.QualifiedAt, f.Earnings = registered.Add(2*day), nil
		}, []string{models.FlagFast}},
		{"qualified a second later", func(f *models.FlagFacts) {
			f.QualifiedAt, f.Earnings = registered.Add(2*day+time.Second), nil
		}, nil},
		{"earnings that reached the threshold within 48 hours, imported later", func(f *models.FlagFacts) {
			f.Earnings = []models.Earning{paid("cl_b", 20000, 40*time.Hour), paid("cl_a", 30000, 47*time.Hour)}
		}, []string{models.FlagFast}},
		{"a refund in between delays the crossing", func(f *models.FlagFacts) {
			f.Earnings = []models.Earning{paid("cl_a", 30000, time.Hour), paid("cl_b", -10000, 2*time.Hour),
				paid("cl_b", 20000, 47*time.Hour), paid("cl_c", 10000, 3*day)}
		}, nil},
		{"below the threshold", func(f *models.FlagFacts) {
			f.CountedCents = 49999
		}, []string{models.FlagBelowThreshold}},
		{"everything at once", func(f *models.FlagFacts) {
			f.Earnings = []models.Earning{paid("cl_referrer", 60000, time.Hour), paid("cl_b", -20000, 2*time.Hour)}
			f.CountedCents = 40000
			f.ReferrerIPs = []string{"203.0.113.7"}
		}, []string{models.FlagReferrerIsClient, models.FlagSameIP, models.FlagSingleClient, models.FlagBelowThreshold, models.FlagFast}},
	}
	for _, c := range cases {
		f := base()
		c.edit(&f)
		if got := models.Flags(f); !slices.Equal(got, c.want) && (len(got) != 0 || len(c.want) != 0) {
			t.Errorf("%s: flags %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAPayoutCarriesTheFlagsFoundWhenItIsCreated(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		_, _, ref := referred(t, db) // Sam signed up from 203.0.113.7
		client := "cl_maria"
		if _, err := db.Store.UpsertFreelancers(ctx, []models.FreelancerProfile{{Email: "maria@example.com", ClientAccountID: &client}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Authenticate(ctx, "maria@example.com", "correct horse", "203.0.113.7"); err != nil {
			t.Fatal(err)
		}
		e := earning("from-maria", 50000) // a day after sign-up
		e.ClientID = client
		record(t, db, e)
		if got, want := payoutFlags(t, db, ref.ID), `["referrer_is_client","same_ip","single_client","fast"]`; got != want {
			t.Errorf("flags %s, want %s", got, want)
		}
	})
}

func TestAnUnremarkablePayoutHasNoFlags(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		db.Clock.Advance(10 * 24 * time.Hour)
		a, b := earning("a", 25000), earning("b", 25000)
		a.OccurredAt, b.OccurredAt, b.ClientID = "2019-03-05T12:00:00Z", "2019-03-09T12:00:00Z", "cl_other"
		record(t, db, a, b)
		if got := payoutFlags(t, db, ref.ID); strings.TrimSpace(got) != "[]" {
			t.Errorf("flags %s, want none", got)
		}
	})
}
