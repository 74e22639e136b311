package models

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "demo-password"

// DemoLogin is one account seed --demo creates, for the person trying the product.
type DemoLogin struct {
	Email string
	Role  string
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
		{demoAdminEmail, "staff, owner: everything, plus programs and staff"},
		{demoReviewerEmail, "staff, reviewer: approves and rejects credits"},
		{demoFinanceEmail, "staff, finance: pays batches, imports earnings"},
		{"maria@example.com", "Top Rated referrer in the U.S."},
		{"ben@example.com", "U.S. freelancer who is not Top Rated"},
		{"chloe@example.com", "Top Rated freelancer in Canada"},
		{"sam@example.com", "a friend Maria referred, earning toward $500"},
	}
	if _, err := s.UserByEmail(ctx, demoAdminEmail); err == nil {
		return logins, false, nil
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
		if _, err := s.CreateUser(ctx, p); err != nil {
			return nil, false, err
		}
	}

	loc, _ := time.LoadLocation(DefaultTimeZone)
	deadline := s.Now().In(loc).AddDate(0, 4, 0).Format("2006-01-02")
	p, err := s.CreateProgram(ctx, CLIActor(), ProgramInput{
		Slug:     "customer-service",
		Name:     "Customer Service referrals",
		Deadline: deadline,
	})
	if err != nil {
		return nil, false, err
	}
	if _, err := s.InviteProgram(ctx, CLIActor(), p.Slug); err != nil {
		return nil, false, err
	}
	var maria Invitation
	if err := s.db.WithContext(ctx).Joins("JOIN users ON users.id = invitations.referrer_id").
		Where("users.email = ?", "maria@example.com").Take(&maria).Error; err != nil {
		return nil, false, err
	}
	friends := []FriendSignup{
		{Name: "Sam Rivera", Email: "sam@example.com", Country: "US"},
		{Name: "Priya Patel", Email: "priya@example.com", Country: "IN"},
		{Name: "Lucas Moreau", Email: "lucas@example.com", Country: "FR"},
		{Name: "Nina Berg", Email: "nina@example.com", Country: "SE"},
		{Name: "Omar Haddad", Email: "omar@example.com", Country: "US"},
		{Name: "Grace Kim", Email: "grace@example.com", Country: "US"},
	}
	for _, f := range friends {
		f.Password, f.Code, f.IP = DemoPassword, maria.Code, "198.51.100.20"
		if _, err := s.SignUpFriend(ctx, f); err != nil {
			return nil, false, err
		}
	}
	for range 9 {
		if _, err := s.CountClick(ctx, maria.Code); err != nil {
			return nil, false, err
		}
	}
	if err := s.seedDemoMoney(ctx); err != nil {
		return nil, false, err
	}
	return logins, true, nil
}

// seedDemoMoney puts Maria's friends at every stage, through the same rules the API and
// the admin pages apply: Sam earning ($310 of $500), Grace just registered, Priya qualified
// and waiting for review, Omar rejected (he was paid by Maria herself), Nina approved and
// paid in this month's batch, Lucas approved and due with the next run.
func (s *Store) seedDemoMoney(ctx context.Context) error {
	cl := "cl_maria_santos"
	if _, err := s.UpsertFreelancers(ctx, []FreelancerProfile{{Email: "maria@example.com", ClientAccountID: &cl}}); err != nil {
		return err
	}
	at := s.Now().Format(time.RFC3339Nano) // to the millisecond: after the friends signed up
	earning := func(id, email string, cents int64, category, client string) EarningEvent {
		return EarningEvent{ID: id, FreelancerEmail: email, AmountCents: cents, Currency: "USD", Category: category, ClientID: client, OccurredAt: at}
	}
	results, err := s.RecordEarnings(ctx, []EarningEvent{
		earning("demo_1", "sam@example.com", 25000, DefaultCategory, "cl_acme"),
		earning("demo_2", "sam@example.com", 6000, DefaultCategory, "cl_globex"),
		earning("demo_3", "sam@example.com", 12000, "Web Development", "cl_acme"),
		earning("demo_4", "priya@example.com", 30000, DefaultCategory, "cl_initech"),
		earning("demo_5", "priya@example.com", 22000, DefaultCategory, "cl_acme"),
		earning("demo_6", "omar@example.com", 51000, DefaultCategory, cl),
		earning("demo_7", "nina@example.com", 45000, DefaultCategory, "cl_umbrella"),
		earning("demo_8", "nina@example.com", 15000, DefaultCategory, "cl_hooli"),
		earning("demo_9", "lucas@example.com", 40000, DefaultCategory, "cl_stark"),
		earning("demo_10", "lucas@example.com", 12500, DefaultCategory, "cl_wayne"),
	})
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Status == EventRejected {
			return fmt.Errorf("demo earning %s: %s", r.ID, r.Reason)
		}
	}

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
	if _, err := s.Reject(ctx, actor, omar, "The friend's only client was the referrer's own client account."); err != nil {
		return err
	}
	nina, err := payoutOf("nina@example.com")
	if err != nil {
		return err
	}
	approved, err := s.Approve(ctx, actor, nina)
	if err != nil {
		return err
	}
	if _, err := s.PayBatch(ctx, StaffActor(finance, ""), *approved.BatchMonth); err != nil {
		return err
	}
	lucas, err := payoutOf("lucas@example.com")
	if err != nil {
		return err
	}
	_, err = s.Approve(ctx, actor, lucas)
	return err
}
