package modelstest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"referrals/models"
)

// The admin pages need qualified referrals and payouts pending review. Qualification is
// the earnings rules' job; these fixtures stand in for it by writing the rows directly,
// so admin tests do not depend on how a payout comes to exist.

// FixtureProgram creates the standard program (customer-service: $500 in Customer
// Service by April 15, 2019, $100 reward), or returns it when it exists.
func (db *DB) FixtureProgram(t testing.TB) models.Program {
	t.Helper()
	ctx := context.Background()
	if p, err := db.Store.ProgramBySlug(ctx, "customer-service"); err == nil {
		return p
	}
	p, err := db.Store.CreateProgram(ctx, models.CLIActor(), models.ProgramInput{
		Slug: "customer-service", Name: "Customer Service referrals", Deadline: "2019-04-15",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// FixtureEarning is one counted earning behind a fixture payout.
type FixtureEarning struct {
	AmountCents int64
	ClientID    string
	Category    string
}

// PendingPayout describes a fixture payout: who refers whom, the flags it was created
// with and the earnings that qualified it (default: $300 and $200 from two clients).
type PendingPayout struct {
	ReferrerEmail string
	ReferrerName  string
	FriendEmail   string
	FriendName    string
	Flags         []string
	Earnings      []FixtureEarning
}

// Fixture is what PendingPayoutFixture created.
type Fixture struct {
	Program  models.Program
	Referrer models.User
	Friend   models.User
	Referral int64
	Payout   int64
}

// PendingPayoutFixture creates a qualified referral in the standard program and its
// payout pending review: the referrer (created and invited if new) refers a new friend
// who signs up through the Store; the earnings, the qualification and the payout are
// inserted as the earnings rules would leave them.
func (db *DB) PendingPayoutFixture(t testing.TB, f PendingPayout) Fixture {
	t.Helper()
	ctx := context.Background()
	p := db.FixtureProgram(t)
	if f.ReferrerName == "" {
		f.ReferrerName = "Maria Santos"
	}
	if f.FriendName == "" {
		f.FriendName = "Sam Rivera"
	}
	if len(f.Earnings) == 0 {
		f.Earnings = []FixtureEarning{{AmountCents: 30000, ClientID: "cl_1"}, {AmountCents: 20000, ClientID: "cl_2"}}
	}
	referrer, err := db.Store.UserByEmail(ctx, f.ReferrerEmail)
	if err != nil {
		referrer, err = db.Store.CreateUser(ctx, models.NewUser{
			Email: f.ReferrerEmail, Name: f.ReferrerName, Password: "correct horse", Country: "US", TopRated: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), p.Slug); err != nil {
			t.Fatal(err)
		}
	}
	code := ""
	elig, err := db.Store.Eligibilities(ctx, referrer.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range elig {
		if e.Program.ID == p.ID && e.Invitation != nil {
			code = e.Invitation.Code
		}
	}
	if code == "" {
		t.Fatalf("fixture: %s holds no invitation to %s", f.ReferrerEmail, p.Slug)
	}
	signup, err := db.Store.SignUpFriend(ctx, models.FriendSignup{
		Name: f.FriendName, Email: f.FriendEmail, Password: "correct horse", Country: "US", Code: code, IP: "203.0.113.9",
	})
	if err != nil {
		t.Fatal(err)
	}
	if signup.Referral == nil {
		t.Fatalf("fixture: %s was not referred (%s)", f.FriendEmail, signup.Reason)
	}
	ref := signup.Referral.ID
	now := db.Clock.Now()
	var counted int64
	for i, e := range f.Earnings {
		if e.Category == "" {
			e.Category = models.DefaultCategory
		}
		counted += e.AmountCents
		db.Exec(t, `INSERT INTO earnings (external_id, freelancer_email, freelancer_id, referral_id, amount_cents, currency,
			category, client_id, occurred_at, received_at, status, payload_hash) VALUES (?, ?, ?, ?, ?, 'USD', ?, ?, ?, ?, 'counted', 'fixture')`,
			fmt.Sprintf("fixture_%d_%d", ref, i), signup.Friend.Email, signup.Friend.ID, ref, e.AmountCents,
			e.Category, e.ClientID, now.Add(time.Duration(i-len(f.Earnings))*time.Hour), now)
	}
	db.Exec(t, "UPDATE referrals SET status = 'qualified', counted_cents = ?, qualified_at = ? WHERE id = ?", counted, now, ref)
	flags, _ := json.Marshal(append([]string{}, f.Flags...))
	var payout int64
	db.QueryRow(t, `INSERT INTO payouts (referral_id, program_id, referrer_id, amount_cents, status, flags, created_at)
		VALUES (?, ?, ?, ?, 'pending_review', ?, ?) RETURNING id`, []any{&payout},
		ref, p.ID, referrer.ID, p.RewardCents, string(flags), now)
	return Fixture{Program: p, Referrer: referrer, Friend: signup.Friend, Referral: ref, Payout: payout}
}
