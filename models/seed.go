package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "demo-password"

// DemoLogin is one account seed --demo creates, for the person trying the product.
type DemoLogin struct {
	Email string
	Role  string
	// Staff sign in with a code too: TOTPURI holds the secret (for an authenticator app)
	// and RecoveryCodes up to three unused recovery codes, so the demo needs no phone.
	TOTPURI       string
	RecoveryCodes []string
}

// demoAdminEmail, the demo's owner, marks a database as seeded with the demo.
const (
	demoAdminEmail    = "admin@example.com"
	demoReviewerEmail = "reviewer@example.com"
	demoFinanceEmail  = "finance@example.com"
)

// SeedDemo fills an empty database with a demo program whose deadline is in the future,
// one member of staff of each role, freelancers in each situation of R1 and friends Maria referred at every
// stage, all through the Store's own rules. On a database that already holds the demo it
// only returns the logins; on any other database that is not empty it refuses.
func (s *Store) SeedDemo(ctx context.Context) (logins []DemoLogin, seeded bool, err error) {
	logins = []DemoLogin{
		{Email: demoAdminEmail, Role: "staff, owner: everything, plus programs and staff"},
		{Email: demoReviewerEmail, Role: "staff, reviewer: approves and rejects credits"},
		{Email: demoFinanceEmail, Role: "staff, finance: pays batches, imports earnings"},
		{Email: "maria@example.com", Role: "Top Rated referrer in the U.S."},
		{Email: "ben@example.com", Role: "U.S. freelancer who is not Top Rated"},
		{Email: "chloe@example.com", Role: "Top Rated freelancer in Canada"},
		{Email: "sam@example.com", Role: "a friend Maria referred, earning toward $500"},
	}
	if _, err := s.UserByEmail(ctx, demoAdminEmail); err == nil {
		return logins, false, s.demoStaffLogins(ctx, logins)
	}
	var users int64
	if err := s.db.WithContext(ctx).Model(&User{}).Count(&users).Error; err != nil {
		return nil, false, err
	}
	if users > 0 {
		return nil, false, errors.New("the database is not empty; seed --demo only fills an empty database")
	}

	people := []NewUser{
		{Email: demoAdminEmail, Name: "Avery Admin", Country: "US", Role: RoleOwner},
		{Email: demoReviewerEmail, Name: "Riley Reviewer", Country: "US", Role: RoleReviewer},
		{Email: demoFinanceEmail, Name: "Frances Finance", Country: "US", Role: RoleFinance},
		{Email: "maria@example.com", Name: "Maria Santos", Country: "US", TopRated: true},
		{Email: "ben@example.com", Name: "Ben Okafor", Country: "US"},
		{Email: "chloe@example.com", Name: "Chloé Tremblay", Country: "CA", TopRated: true},
	}
	for _, p := range people {
		p.Password = DemoPassword
		u, err := s.CreateUser(ctx, p)
		if err != nil {
			return nil, false, err
		}
		if u.IsStaff() {
			if err := s.enrolDemoStaff(ctx, u); err != nil {
				return nil, false, err
			}
		}
	}

	// The demo plays the past five weeks through the product's own rules, each step at its
	// own moment on the seed's clock, so the activity chart, the friends' timelines and
	// the fast flag show a program in motion.
	now := s.Now()
	clock := &demoClock{}
	past := s.withClock(clock)
	daysAgo := func(days float64) *Store {
		clock.t = now.Add(-time.Duration(days * float64(24*time.Hour)))
		return past
	}

	loc, _ := time.LoadLocation(DefaultTimeZone)
	// Eight weeks long, so it is charted per day; five of them have passed.
	deadline := now.In(loc).AddDate(0, 0, 22).Format("2006-01-02")
	p, err := daysAgo(35).CreateProgram(ctx, CLIActor(), ProgramInput{
		Slug:     "customer-service",
		Name:     "Customer Service referrals",
		Deadline: deadline,
	})
	if err != nil {
		return nil, false, err
	}
	if _, err := daysAgo(34).InviteProgram(ctx, CLIActor(), p.Slug); err != nil {
		return nil, false, err
	}
	var maria Invitation
	if err := s.db.WithContext(ctx).Joins("JOIN users ON users.id = invitations.referrer_id").
		Where("users.email = ?", "maria@example.com").Take(&maria).Error; err != nil {
		return nil, false, err
	}
	// Clicks on Maria's link: a few most days, more after she shared it widely (days 31
	// and 19), a quiet spell, and a visit shortly before each friend signed up.
	clicks := []int{0, 0, 3, 1, 0, 2, 6, 4, 1, 0, 1, 0, 2, 1, 0, 3, 5, 2, 1, 0, 0, 1, 1, 0, 0, 0, 1, 2, 0, 1, 0, 1, 2, 3}
	for day, n := range clicks {
		for i := range n {
			if _, err := daysAgo(float64(33-day)+0.2+0.05*float64(i)).CountClick(ctx, maria.Code); err != nil {
				return nil, false, err
			}
		}
	}
	friends := []struct {
		FriendSignup
		daysAgo float64
	}{
		{FriendSignup{Name: "Sam Rivera", Email: "sam@example.com", Country: "US"}, 30},
		{FriendSignup{Name: "Nina Berg", Email: "nina@example.com", Country: "SE"}, 28},
		{FriendSignup{Name: "Priya Patel", Email: "priya@example.com", Country: "IN"}, 25},
		{FriendSignup{Name: "Lucas Moreau", Email: "lucas@example.com", Country: "FR"}, 20},
		{FriendSignup{Name: "Omar Haddad", Email: "omar@example.com", Country: "US"}, 18},
		{FriendSignup{Name: "Grace Kim", Email: "grace@example.com", Country: "US"}, 2},
	}
	for _, f := range friends {
		if _, err := daysAgo(f.daysAgo+0.01).CountClick(ctx, maria.Code); err != nil {
			return nil, false, err
		}
		f.Password, f.Code, f.IP = DemoPassword, maria.Code, "198.51.100.20"
		if _, err := daysAgo(f.daysAgo).SignUpFriend(ctx, f.FriendSignup); err != nil {
			return nil, false, err
		}
	}
	if err := seedDemoMoney(ctx, daysAgo); err != nil {
		return nil, false, err
	}
	return logins, true, s.demoStaffLogins(ctx, logins)
}

// demoStaffLogins adds to the staff logins their TOTP URI and recovery codes.
func (s *Store) demoStaffLogins(ctx context.Context, logins []DemoLogin) error {
	for i := range logins {
		if err := s.demoStaffLogin(ctx, &logins[i]); err != nil {
			return err
		}
	}
	return nil
}

// demoClock is the demo seed's clock, which it moves through the past weeks.
type demoClock struct{ t time.Time }

func (c *demoClock) Now() time.Time { return c.t }

// withClock is s reading the time from c, gorm's automatic timestamps included.
func (s *Store) withClock(c Clock) *Store {
	cp := *s
	cp.clock = c
	cp.db = s.db.Session(&gorm.Session{NowFunc: func() time.Time { return c.Now().UTC() }})
	return &cp
}

// seedDemoMoney puts Maria's friends at every stage, through the same rules the API and
// the admin pages apply, each step on its day: Sam earning ($310 of $500, plus work in
// another category that does not count), Grace just registered, Priya qualified within a
// day (flagged fast) and waiting for review, Omar rejected (his only client was Maria's
// own client account), Nina approved and paid, Lucas approved and due with the next run.
func seedDemoMoney(ctx context.Context, daysAgo func(float64) *Store) error {
	cl := "cl_maria_santos"
	if _, err := daysAgo(33).UpsertFreelancers(ctx, []FreelancerProfile{{Email: "maria@example.com", ClientAccountID: &cl}}); err != nil {
		return err
	}
	type earningAt struct {
		daysAgo float64
		EarningEvent
	}
	earning := func(days float64, id, email string, cents int64, category, client string) earningAt {
		return earningAt{days, EarningEvent{ID: id, FreelancerEmail: email, AmountCents: cents, Currency: "USD", Category: category, ClientID: client}}
	}
	events := []earningAt{
		earning(27, "demo_1", "sam@example.com", 25000, DefaultCategory, "cl_acme"),
		earning(26, "demo_7", "nina@example.com", 45000, DefaultCategory, "cl_umbrella"),
		earning(24.6, "demo_4", "priya@example.com", 30000, DefaultCategory, "cl_initech"),
		earning(24.1, "demo_8", "nina@example.com", 15000, DefaultCategory, "cl_hooli"),
		earning(24, "demo_5", "priya@example.com", 22000, DefaultCategory, "cl_acme"),
		earning(17.2, "demo_6", "omar@example.com", 51000, DefaultCategory, cl),
		earning(15, "demo_9", "lucas@example.com", 40000, DefaultCategory, "cl_stark"),
		earning(12, "demo_2", "sam@example.com", 6000, DefaultCategory, "cl_globex"),
		earning(11, "demo_3", "sam@example.com", 12000, "Web Development", "cl_acme"),
		earning(9.5, "demo_10", "lucas@example.com", 12500, DefaultCategory, "cl_wayne"),
	}
	for _, e := range events {
		store := daysAgo(e.daysAgo)
		e.OccurredAt = store.Now().Format(time.RFC3339Nano)
		results, err := store.RecordEarnings(ctx, []EarningEvent{e.EarningEvent})
		if err != nil {
			return err
		}
		if r := results[0]; r.Status == EventRejected {
			return fmt.Errorf("demo earning %s: %s", r.ID, r.Reason)
		}
	}

	s := daysAgo(0)
	// The reviewer decides and finance pays, as the roles share the work.
	reviewer, err := s.UserByEmail(ctx, demoReviewerEmail)
	if err != nil {
		return err
	}
	finance, err := s.UserByEmail(ctx, demoFinanceEmail)
	if err != nil {
		return err
	}
	actor := StaffActor(reviewer, "")
	payoutOf := func(friendEmail string) (int64, error) {
		var id int64
		err := s.db.WithContext(ctx).Table("payouts").Select("payouts.id").
			Joins("JOIN referrals r ON r.id = payouts.referral_id").
			Joins("JOIN users f ON f.id = r.friend_id").
			Where("f.email = ?", friendEmail).Scan(&id).Error
		if err == nil && id == 0 {
			err = fmt.Errorf("demo: no payout for %s", friendEmail)
		}
		return id, err
	}
	omar, err := payoutOf("omar@example.com")
	if err != nil {
		return err
	}
	// Reasons are written to the referrer, who reads them on their dashboard.
	if _, err := daysAgo(16).Reject(ctx, actor, omar, "All of Omar's earnings came from your own client account, so they can't count toward a referral credit."); err != nil {
		return err
	}
	nina, err := payoutOf("nina@example.com")
	if err != nil {
		return err
	}
	approved, err := daysAgo(22).Approve(ctx, actor, nina)
	if err != nil {
		return err
	}
	if _, err := daysAgo(21).PayBatch(ctx, StaffActor(finance, ""), *approved.BatchMonth); err != nil {
		return err
	}
	lucas, err := payoutOf("lucas@example.com")
	if err != nil {
		return err
	}
	_, err = daysAgo(3).Approve(ctx, actor, lucas)
	return err
}
