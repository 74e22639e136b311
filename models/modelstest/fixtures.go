package modelstest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"referrals/models"
)

// Fixtures make state the way the product does, through the Store's rules: people sign
// up, earnings arrive through RecordEarnings (as from the API), referrals qualify and get
// their payouts (with the flags the rules find), staff approve, reject and pay batches.
// A fixture never writes a row the rules could not produce, so what a test reads is
// what production would show. Time comes from the test clock, which the fixtures move
// forward when the story needs it (a friend earning toward the threshold takes days).

// FixturePassword is the password of every account the fixtures create.
const FixturePassword = "correct horse"

// FixtureRejectReason is the reason FixturePayout gives a rejected payout.
const FixtureRejectReason = "The friend's client is the referrer's own client account."

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

// FixtureStaff is the program staff member (an owner) the fixtures decide and pay as
// (fixture.staff@example.com, created when first needed).
func (db *DB) FixtureStaff(t testing.TB) models.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := db.Store.UserByEmail(ctx, "fixture.staff@example.com")
	if err != nil {
		u, err = db.Store.CreateUser(ctx, models.NewUser{Email: "fixture.staff@example.com", Name: "Fixture Staff", Password: FixturePassword, Country: "US", Role: models.RoleOwner})
		if err != nil {
			t.Fatal(err)
		}
	}
	return models.StaffActor(u, "192.0.2.10")
}

// FixtureReferrer returns the freelancer with email, invited to the standard program,
// and their invite code. A new one is created as a Top Rated U.S. freelancer and invited
// by the program's invitation run.
func (db *DB) FixtureReferrer(t testing.TB, email, name string) (models.User, string) {
	t.Helper()
	ctx := context.Background()
	p := db.FixtureProgram(t)
	referrer, err := db.Store.UserByEmail(ctx, email)
	if err != nil {
		if name == "" {
			name = "Maria Santos"
		}
		referrer, err = db.Store.CreateUser(ctx, models.NewUser{Email: email, Name: name, Password: FixturePassword, Country: "US", TopRated: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), p.Slug); err != nil {
			t.Fatal(err)
		}
	}
	elig, err := db.Store.Eligibilities(ctx, referrer.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range elig {
		if e.Program.ID == p.ID && e.Invitation != nil {
			return referrer, e.Invitation.Code
		}
	}
	t.Fatalf("fixture: %s holds no invitation to %s", email, p.Slug)
	return referrer, ""
}

// FixtureSignUp signs a friend up through the invite code, now, from ip ("" for none),
// as the sign-up form does, and fails the test unless a referral was made.
func (db *DB) FixtureSignUp(t testing.TB, code, name, email, ip string) models.SignupResult {
	t.Helper()
	res, err := db.Store.SignUpFriend(context.Background(), models.FriendSignup{
		Name: name, Email: email, Password: FixturePassword, Country: "US", Code: code, IP: ip,
	})
	if err != nil {
		t.Fatalf("sign up %s: %v", email, err)
	}
	if res.Referral == nil {
		t.Fatalf("fixture: %s was not referred (%s)", email, res.Reason)
	}
	return res
}

// FixtureEarning is one earning of a referred friend: in the program's category unless
// Category says otherwise.
type FixtureEarning struct {
	AmountCents int64
	ClientID    string
	Category    string
}

// FixtureEarn delivers earnings of the friend with email through RecordEarnings, as the
// marketplace's API would, each occurring at the time given beside it, and fails the test
// unless every one counts.
func (db *DB) FixtureEarn(t testing.TB, email string, earnings []FixtureEarning, at []time.Time) {
	t.Helper()
	events := make([]models.EarningEvent, len(earnings))
	known := db.Count(t, "earnings", "")
	for i, e := range earnings {
		if e.Category == "" {
			e.Category = models.DefaultCategory
		}
		if e.ClientID == "" {
			e.ClientID = "cl_fixture"
		}
		events[i] = models.EarningEvent{
			ID: fmt.Sprintf("fixture_%d", known+int64(i)+1), FreelancerEmail: email, AmountCents: e.AmountCents,
			Currency: "USD", Category: e.Category, ClientID: e.ClientID, OccurredAt: at[i].UTC().Format(time.RFC3339Nano),
		}
	}
	results, err := db.Store.RecordEarnings(context.Background(), events)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Status != models.EventAccepted {
			t.Fatalf("fixture earning %s: %s %s", r.ID, r.Status, r.Reason)
		}
	}
}

// FixtureCounted brings a referral's counted total to cents with one earning (or refund)
// of the difference, occurring now, through the earnings rules: reaching the program's
// threshold qualifies the referral and creates its payout, pending review.
func (db *DB) FixtureCounted(t testing.TB, referralID, cents int64) {
	t.Helper()
	var email string
	var counted int64
	db.QueryRow(t, "SELECT u.email, r.counted_cents FROM referrals r JOIN users u ON u.id = r.friend_id WHERE r.id = ?", []any{&email, &counted}, referralID)
	if cents == counted {
		return
	}
	db.FixtureEarn(t, email, []FixtureEarning{{AmountCents: cents - counted}}, []time.Time{db.Clock.Now()})
}

// FixturePayout takes the payout of a qualified referral from pending review to status,
// as staff would, and returns its id: approved now (joining this month's batch), rejected
// with FixtureRejectReason, or approved and then paid by paying this month's batch,
// which pays every payout approved in it.
func (db *DB) FixturePayout(t testing.TB, ref models.Referral, status models.PayoutStatus) int64 {
	t.Helper()
	ctx := context.Background()
	var payout int64
	db.QueryRow(t, "SELECT id FROM payouts WHERE referral_id = ?", []any{&payout}, ref.ID)
	staff := db.FixtureStaff(t)
	switch status {
	case models.PayoutPendingReview:
	case models.PayoutRejected:
		if _, err := db.Store.Reject(ctx, staff, payout, FixtureRejectReason); err != nil {
			t.Fatal(err)
		}
	case models.PayoutApproved, models.PayoutPaid:
		p, err := db.Store.Approve(ctx, staff, payout)
		if err != nil {
			t.Fatal(err)
		}
		if status == models.PayoutPaid {
			if _, err := db.Store.PayBatch(ctx, staff, *p.BatchMonth); err != nil {
				t.Fatal(err)
			}
		}
	default:
		t.Fatalf("fixture: no payout status %q", status)
	}
	return payout
}

// FixtureFriends signs up n friends through the invitation with code, named "Friend 000"
// onwards, one minute apart from now (each from an address of its own, so the sign-up
// limit per address does not stop them). The clock ends a minute after the last.
func (db *DB) FixtureFriends(t testing.TB, code string, n int) {
	t.Helper()
	for i := range n {
		db.FixtureSignUp(t, code, fmt.Sprintf("Friend %03d", i), fmt.Sprintf("friend%03d@example.com", i), fmt.Sprintf("198.18.%d.%d", i/250, i%250+1))
		db.Clock.Advance(time.Minute)
	}
}

// FixtureSignupsFrom signs up n people from ip, now, without an invitation: what n
// sign-ups from one network leave behind.
func (db *DB) FixtureSignupsFrom(t testing.TB, ip string, n int) {
	t.Helper()
	for i := range n {
		_, err := db.Store.SignUpFriend(context.Background(), models.FriendSignup{
			Name: "Bulk", Email: fmt.Sprintf("from-%s-%03d@example.com", ip, i), Password: FixturePassword, Country: "US", IP: ip,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// PendingPayout describes how a fixture payout comes about: who refers whom, from which
// addresses, and how the friend earns. The flags follow from these facts.
type PendingPayout struct {
	ReferrerEmail string
	ReferrerName  string
	FriendEmail   string
	FriendName    string
	// FriendIP is where the friend signs up from (default 203.0.113.9). ReferrerIP, when
	// set, is where the referrer signs in from first: the same address gives same_ip.
	FriendIP   string
	ReferrerIP string
	// QualifyIn is how long after signing up the friend's earnings reach the threshold;
	// the clock moves on by as much. The default, 50 hours, is not fast (48 hours or
	// less is).
	QualifyIn time.Duration
	// Earnings occur evenly spread over QualifyIn (default: $300 and $200 from two
	// clients).
	Earnings []FixtureEarning
}

// Fixture is what PendingPayoutFixture created.
type Fixture struct {
	Program  models.Program
	Referrer models.User
	Friend   models.User
	Referral int64
	Payout   int64
}

// PendingPayoutFixture tells the story of one payout: the referrer (created and invited
// if new) refers a new friend, who signs up now; the friend's earnings occur over
// QualifyIn and arrive through RecordEarnings as the last one occurs, which qualifies
// the referral and creates its payout, pending review, with the flags the rules find.
func (db *DB) PendingPayoutFixture(t testing.TB, f PendingPayout) Fixture {
	t.Helper()
	ctx := context.Background()
	p := db.FixtureProgram(t)
	if f.FriendName == "" {
		f.FriendName = "Sam Rivera"
	}
	if f.FriendIP == "" {
		f.FriendIP = "203.0.113.9"
	}
	if f.QualifyIn == 0 {
		f.QualifyIn = 50 * time.Hour
	}
	if len(f.Earnings) == 0 {
		f.Earnings = []FixtureEarning{{AmountCents: 30000, ClientID: "cl_1"}, {AmountCents: 20000, ClientID: "cl_2"}}
	}
	referrer, code := db.FixtureReferrer(t, f.ReferrerEmail, f.ReferrerName)
	if f.ReferrerIP != "" {
		if _, err := db.Store.Authenticate(ctx, referrer.Email, FixturePassword, f.ReferrerIP); err != nil {
			t.Fatal(err)
		}
	}
	signup := db.FixtureSignUp(t, code, f.FriendName, f.FriendEmail, f.FriendIP)
	start := db.Clock.Now()
	at := make([]time.Time, len(f.Earnings))
	for i := range at {
		at[i] = start.Add(f.QualifyIn * time.Duration(i+1) / time.Duration(len(at)))
	}
	db.Clock.Set(at[len(at)-1])
	db.FixtureEarn(t, signup.Friend.Email, f.Earnings, at)
	var payout int64
	db.QueryRow(t, "SELECT id FROM payouts WHERE referral_id = ?", []any{&payout}, signup.Referral.ID)
	return Fixture{Program: p, Referrer: referrer, Friend: signup.Friend, Referral: signup.Referral.ID, Payout: payout}
}

// FixtureProfile applies a profile update from the marketplace (as POST
// /api/v1/freelancers does) to the freelancer with p.Email: how a freelancer loses Top
// Rated, opts out of email or gets a client account.
func (db *DB) FixtureProfile(t testing.TB, p models.FreelancerProfile) {
	t.Helper()
	res, err := db.Store.UpsertFreelancers(context.Background(), []models.FreelancerProfile{p})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != models.ProfileUpdated {
		t.Fatalf("profile of %s: %+v", p.Email, res[0])
	}
}
