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

func TestSimilarEmail(t *testing.T) {
	for _, c := range []struct {
		referrer, friend string
		want             bool
	}{
		{"maria@example.com", "maria+friend@example.com", true},
		{"maria+a@example.com", "maria+b@example.com", true},
		{"Maria@Example.com", "maria+x@example.com", true},
		{"maria@example.com", "m.aria@example.com", false}, // dots count outside Gmail
		{"maria@example.com", "maria@example.org", false},
		{"maria@example.com", "mariana@example.com", false},
		{"maria.santos@gmail.com", "mariasantos@gmail.com", true},
		{"maria.santos@gmail.com", "m.a.r.i.a.s.a.n.t.o.s+ref@googlemail.com", true},
		{"mariasantos@googlemail.com", "maria.santos@gmail.com", true},
		{"maria.santos@gmail.com", "maria.santos@gmail.co", false},
		{"maria@gmail.com", "+maria@gmail.com", false},
		{"", "", false},
		{"maria", "maria", false},
	} {
		if got := models.SimilarEmail(c.referrer, c.friend); got != c.want {
			t.Errorf("SimilarEmail(%q, %q) = %v, want %v", c.referrer, c.friend, got, c.want)
		}
		if got := models.SimilarEmail(c.friend, c.referrer); got != c.want {
			t.Errorf("SimilarEmail(%q, %q) = %v, want %v (either way round)", c.friend, c.referrer, got, c.want)
		}
	}
}

// The flags describe the moment the payout is created: the earning that crossed the
// threshold. A later event of the same delivery (or file) does not change them, as it
// would not if it came in the next one.
func TestFlagsDescribeTheMomentThePayoutIsCreated(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		client := mariaIsAClient(t, db)
		crossing := earning("crossing", 50000) // from one client, cl_9
		crossing.OccurredAt = "2019-03-05T12:00:00Z"
		after := earning("from-maria", 10000) // Maria's client account, after the crossing
		after.ClientID, after.OccurredAt = client, "2019-03-06T12:00:00Z"
		db.Clock.Advance(10 * 24 * time.Hour)
		record(t, db, crossing, after)
		if got, want := payoutFlags(t, db, ref.ID), `["single_client"]`; got != want {
			t.Errorf("flags %s, want %s (as if the second event came later)", got, want)
		}
	})
}

func TestFlagsAtTheCrossingOfAnImportedFile(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		_, _, ref := referred(t, db)
		mariaIsAClient(t, db) // e3 below is from her account
		file, err := models.ParseEarningsCSV("march.csv", strings.NewReader("id,freelancer_email,amount,category,client_id,occurred_at\n"+
			"e1,sam@example.com,200.00,Customer Service,cl_a,2019-03-05T12:00:00Z\n"+
			"e2,sam@example.com,300.00,Customer Service,cl_b,2019-03-06T12:00:00Z\n"+
			"e3,sam@example.com,100.00,Customer Service,cl_maria,2019-03-07T12:00:00Z\n"+
			"e4,sam@example.com,-150.00,Customer Service,cl_b,2019-03-08T12:00:00Z\n"))
		if err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(10 * 24 * time.Hour)
		if _, err := db.Store.ImportEarnings(ctx, models.CLIActor(), file); err != nil {
			t.Fatal(err)
		}
		// Crossed at e2 (two clients, none Maria's); the refund after it still takes the
		// total below the threshold, which R8 flags whenever it happens.
		if got, want := payoutFlags(t, db, ref.ID), `["below_threshold"]`; got != want {
			t.Errorf("flags %s, want %s", got, want)
		}
	})
}

// same_ip covers the addresses the referrer was seen at while signed in, not only where
// they signed in.
func TestSameIPCoversAddressesSeenWhileSignedIn(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		_, maria, code := invited(t, db)
		if _, err := db.Store.Authenticate(ctx, "maria@example.com", "correct horse", "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(time.Hour)
		if err := db.Store.RecordSeen(ctx, maria.ID, "203.0.113.7"); err != nil { // a page, from the café
			t.Fatal(err)
		}
		res, err := db.Store.SignUpFriend(ctx, friend("sam@example.com", code)) // from the café too
		if err != nil || res.Referral == nil {
			t.Fatalf("sign up Sam: %v", err)
		}
		db.Clock.Advance(10 * 24 * time.Hour)
		a, b := earning("a", 25000), earning("b", 25000)
		a.OccurredAt, b.OccurredAt, b.ClientID = "2019-03-05T12:00:00Z", "2019-03-09T12:00:00Z", "cl_other"
		record(t, db, a, b)
		if got, want := payoutFlags(t, db, res.Referral.ID), `["same_ip"]`; got != want {
			t.Errorf("flags %s, want %s", got, want)
		}
	})
}

// Each signed-in request reports its address; the Store writes each user's address once
// a day, and not at all on the requests after the first that day.
func TestAnAddressSeenWhileSignedInIsWrittenOnceADay(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		ana := user(t, db, models.NewUser{Email: "ana@example.com", Name: "Ana", Country: "US"})
		seen := func(ip string) {
			t.Helper()
			if err := db.Store.RecordSeen(ctx, ana.ID, ip); err != nil {
				t.Fatal(err)
			}
		}
		seen("198.51.100.1")
		seen("198.51.100.2")
		if n := db.Count(t, "user_ip_days", "user_id = ?", ana.ID); n != 2 {
			t.Fatalf("%d rows, want one per address", n)
		}
		// Later that day: the instance knows it wrote them, and writes nothing (the rows,
		// removed behind its back, stay away).
		db.Exec(t, "DELETE FROM user_ip_days")
		db.Clock.Advance(time.Hour)
		seen("198.51.100.1")
		if n := db.Count(t, "user_ip_days", ""); n != 0 {
			t.Fatalf("a second request the same day wrote %d rows", n)
		}
		// The next day: written again, once, however many requests.
		db.Clock.Advance(24 * time.Hour)
		for range 3 {
			seen("198.51.100.1")
		}
		if n := db.Count(t, "user_ip_days", "user_id = ? AND ip = ?", ana.ID, "198.51.100.1"); n != 1 {
			t.Fatalf("%d rows the next day, want 1", n)
		}
	})
}

func TestASimilarEmailIsFlagged(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		_, _, code := invited(t, db) // maria@example.com
		res, err := db.Store.SignUpFriend(ctx, models.FriendSignup{Name: "Maria Again", Email: "Maria+friend@Example.com",
			Password: "correct horse", Country: "US", Code: code, IP: "203.0.113.7"})
		if err != nil || res.Referral == nil {
			t.Fatalf("sign up: %v", err)
		}
		db.Clock.Advance(10 * 24 * time.Hour)
		a, b := earning("a", 25000), earning("b", 25000)
		a.FreelancerEmail, b.FreelancerEmail = "maria+friend@example.com", "maria+friend@example.com"
		a.OccurredAt, b.OccurredAt, b.ClientID = "2019-03-05T12:00:00Z", "2019-03-09T12:00:00Z", "cl_other"
		record(t, db, a, b)
		if got, want := payoutFlags(t, db, res.Referral.ID), `["similar_email"]`; got != want {
			t.Errorf("flags %s, want %s", got, want)
		}
	})
}

// mariaIsAClient gives Maria a client account on the marketplace, as its profile sync
// would, and returns its id.
func mariaIsAClient(t *testing.T, db *modelstest.DB) string {
	t.Helper()
	client := "cl_maria"
	if _, err := db.Store.UpsertFreelancers(context.Background(), []models.FreelancerProfile{{Email: "maria@example.com", ClientAccountID: &client}}); err != nil {
		t.Fatal(err)
	}
	return client
}
