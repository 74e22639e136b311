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
// an admin and freelancers in each situation of R1, all through the Store's own rules. On
// a database that already holds the demo it only returns the logins; on any other
// database that is not empty it refuses.
func (s *Store) SeedDemo(ctx context.Context) (logins []DemoLogin, seeded bool, err error) {
	logins = []DemoLogin{
		{demoAdminEmail, "admin: reviews and pays credits"},
		{"maria@example.com", "Top Rated referrer in the U.S."},
		{"ben@example.com", "U.S. freelancer who is not Top Rated"},
		{"chloe@example.com", "Top Rated freelancer in Canada"},
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
	if _, err := s.CreateProgram(ctx, CLIActor(), ProgramInput{
		Slug:     "customer-service",
		Name:     "Customer Service referrals",
		Deadline: deadline,
	}); err != nil {
		return nil, false, err
	}
	return logins, true, nil
}
