package models_test

import (
	"context"
	"errors"
	"testing"

	"referrals/models"
	"referrals/models/modelstest"
)

func ptr[T any](v T) *T { return &v }

func TestUpsertFreelancersCreatesAndUpdatesByEmail(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		existing := user(t, db, models.NewUser{Email: "maria@example.com", Name: "Maria Santos", Country: "US"})
		res, err := db.Store.UpsertFreelancers(ctx, []models.FreelancerProfile{
			{Email: " Lee@Example.com ", Name: ptr("Lee Chen"), Country: ptr("ca"), TopRated: ptr(true), ClientAccountID: ptr("cl_lee")},
			{Email: "MARIA@example.com", TopRated: ptr(true), EmailOptOut: ptr(true), ClientAccountID: ptr("cl_maria")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Status != models.ProfileCreated || res[0].UserID == 0 || res[1].Status != models.ProfileUpdated || res[1].UserID != existing.ID {
			t.Fatalf("results %+v", res)
		}
		lee, err := db.Store.UserByEmail(ctx, "lee@example.com")
		if err != nil || lee.Name != "Lee Chen" || lee.Country != "CA" || !lee.TopRated || lee.EmailOptOut || *lee.ClientAccountID != "cl_lee" || lee.Role != models.RoleFreelancer || lee.PasswordHash != "" {
			t.Errorf("created %+v, %v", lee, err)
		}
		maria, _ := db.Store.UserByEmail(ctx, "maria@example.com")
		if maria.Name != "Maria Santos" || maria.Country != "US" || !maria.TopRated || !maria.EmailOptOut || *maria.ClientAccountID != "cl_maria" {
			t.Errorf("updated %+v: fields not given must keep their values", maria)
		}
		// An empty client account clears it; omitted fields stay.
		if _, err := db.Store.UpsertFreelancers(ctx, []models.FreelancerProfile{{Email: "maria@example.com", ClientAccountID: ptr("")}}); err != nil {
			t.Fatal(err)
		}
		maria, _ = db.Store.UserByEmail(ctx, "maria@example.com")
		if maria.ClientAccountID != nil || !maria.TopRated {
			t.Errorf("after clearing: %+v", maria)
		}
	})
}

func TestAFreelancerCreatedFromAProfileCannotSignIn(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		if _, err := db.Store.UpsertFreelancers(ctx, []models.FreelancerProfile{{Email: "lee@example.com", Name: ptr("Lee Chen")}}); err != nil {
			t.Fatal(err)
		}
		for _, pw := range []string{"", "correct horse", "password"} {
			if _, err := db.Store.Authenticate(ctx, "lee@example.com", pw, "192.0.2.1"); !errors.Is(err, models.ErrBadCredentials) {
				t.Errorf("sign-in with %q: %v, want ErrBadCredentials", pw, err)
			}
		}
	})
}

func TestUpsertFreelancersRefusesAdminsAndBadProfilesOneByOne(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		user(t, db, models.NewUser{Email: "staff@example.com", Name: "Staff", Country: "US", Role: models.RoleOwner})
		res, err := db.Store.UpsertFreelancers(ctx, []models.FreelancerProfile{
			{Email: "staff@example.com", Name: ptr("Not Staff"), TopRated: ptr(true)},
			{Email: "not an email", Name: ptr("X")},
			{Email: "new@example.com"},
			{Email: "bad-country@example.com", Name: ptr("X"), Country: ptr("USA")},
			{Email: "ok@example.com", Name: ptr("First")},
			{Email: "OK@example.com", Country: ptr("US")},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			status models.ProfileStatus
			reason string
		}{
			{models.ProfileRejected, "this email belongs to program staff"},
			{models.ProfileRejected, "email is missing or not an email address"},
			{models.ProfileRejected, "name is required to create a freelancer"},
			{models.ProfileRejected, `country "USA" is not a two-letter ISO 3166-1 code`},
			{models.ProfileCreated, ""},
			{models.ProfileCreated, ""},
		}
		for i, w := range want {
			if res[i].Status != w.status || res[i].Reason != w.reason {
				t.Errorf("profile %d: %+v, want %s %q", i, res[i], w.status, w.reason)
			}
		}
		if db.Count(t, "users", "email = 'staff@example.com' AND role = 'owner' AND name = 'Staff'") != 1 {
			t.Error("an admin was changed")
		}
		if db.Count(t, "users", "") != 2 || db.Count(t, "users", "email = 'ok@example.com' AND name = 'First' AND country = 'US'") != 1 {
			t.Error("want exactly the admin and ok@example.com, with both profiles' fields")
		}
	})
}
