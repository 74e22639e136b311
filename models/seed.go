package models

import (
	"context"
	"errors"
	"time"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "demo-password"

// DemoLogin is one account seed --demo creates, for the person trying the product.
type DemoLogin struct {
	Email string
	Role  string
}

// demoAdminEmail marks a database as seeded with the demo.
const demoAdminEmail = "admin@example.com"

// SeedDemo fills an empty database with a demo program whose deadline is in the future,
// an admin, freelancers in each situation of R1 and friends referred by Maria, all
// through the Store's own rules. On
// a database that already holds the demo it only returns the logins; on any other
// database that is not empty it refuses.
func (s *Store) SeedDemo(ctx context.Context) (logins []DemoLogin, seeded bool, err error) {
	logins = []DemoLogin{
		{demoAdminEmail, "admin: reviews and pays credits"},
		{"maria@example.com", "Top Rated referrer in the U.S."},
		{"ben@example.com", "U.S. freelancer who is not Top Rated"},
		{"chloe@example.com", "Top Rated freelancer in Canada"},
		{"sam@example.com", "friend Maria referred"},
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
		{Email: demoAdminEmail, Name: "Avery Admin", Country: "US", Admin: true},
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
	}
	for _, f := range friends {
		f.Password, f.Code, f.IP = DemoPassword, maria.Code, "198.51.100.20"
		if _, err := s.SignUpFriend(ctx, f); err != nil {
			return nil, false, err
		}
	}
	return logins, true, nil
}
