package models

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Role says what a user may do: freelancers refer (or are referred), admins run the
// program. An admin is never a referrer.
type Role string

const (
	RoleFreelancer Role = "freelancer"
	RoleAdmin      Role = "admin"
)

// User is a freelancer or an admin. Emails are unique across both kinds.
type User struct {
	ID              int64
	Role            Role
	Email           string
	Name            string
	PasswordHash    string
	Country         string
	TopRated        bool
	EmailOptOut     bool
	ClientAccountID *string
	// PlusUntil is when the user's Freelancer Plus membership ends, if they have one.
	PlusUntil *time.Time
	SignupIP  string
	// SessionVersion is part of every session cookie; bumping it ends all sessions.
	SessionVersion int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (u User) IsAdmin() bool { return u.Role == RoleAdmin }

// NormalizeEmail is the form emails are stored and compared in.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// ValidateEmail says what is wrong with an email address, or "".
func ValidateEmail(email string) string {
	email = NormalizeEmail(email)
	if email == "" {
		return "Enter an email address."
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || addr.Name != "" || len(email) > 254 {
		return "Enter an email address like name@example.com."
	}
	return ""
}

// ValidateName says what is wrong with a person's name, or "".
func ValidateName(name string) string {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "Enter your name."
	case utf8.RuneCountInString(name) > 100:
		return "Use at most 100 characters."
	case strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }):
		return "Use letters, spaces and punctuation only."
	}
	return ""
}

// NewUser is what it takes to create an account.
type NewUser struct {
	Email    string
	Name     string
	Password string
	Country  string
	TopRated bool
	Admin    bool
	SignupIP string
}

// Validate returns the field errors of u, keyed by form field name.
func (u NewUser) Validate() FieldErrors {
	fe := FieldErrors{}
	if msg := ValidateName(u.Name); msg != "" {
		fe.Add("name", msg)
	}
	if msg := ValidateEmail(u.Email); msg != "" {
		fe.Add("email", msg)
	}
	if msg := ValidatePassword(u.Password); msg != "" {
		fe.Add("password", msg)
	}
	if !ValidCountry(u.Country) {
		fe.Add("country", "Choose your country.")
	}
	return fe
}

// newUserRow validates u and builds the row to insert, hashing the password.
func (s *Store) newUserRow(u NewUser) (*User, error) {
	if err := u.Validate().Err(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(u.Password)
	if err != nil {
		return nil, err
	}
	role := RoleFreelancer
	if u.Admin {
		role = RoleAdmin
	}
	now := s.Now()
	return &User{
		Role:           role,
		Email:          NormalizeEmail(u.Email),
		Name:           strings.TrimSpace(u.Name),
		PasswordHash:   hash,
		Country:        u.Country,
		TopRated:       u.TopRated && !u.Admin,
		SignupIP:       u.SignupIP,
		SessionVersion: 1,
		CreatedAt:      now,
		UpdatedAt:      now,
	}, nil
}

// insertUser adds row in tx; an email already in use (in any letter case) is ErrEmailTaken.
func insertUser(tx *gorm.DB, row *User) error {
	err := tx.Create(row).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrEmailTaken
	}
	return err
}

// CreateUser creates an account. The email is compared case-insensitively after trimming.
func (s *Store) CreateUser(ctx context.Context, u NewUser) (User, error) {
	row, err := s.newUserRow(u)
	if err != nil {
		return User{}, err
	}
	if err := insertUser(s.db.WithContext(ctx), row); err != nil {
		return User{}, err
	}
	return *row, nil
}

// UserByID loads a user.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.db.WithContext(ctx).Take(&u, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, ErrNotFound
	}
	return u, err
}

// UserByEmail loads a user by email, in any letter case.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("email = ?", NormalizeEmail(email)).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, ErrNotFound
	}
	return u, err
}

// Sign-in rate limits: failures counted over a sliding window, per account and per IP.
const (
	signInWindow          = 15 * time.Minute
	maxFailuresPerAccount = 5
	maxFailuresPerIP      = 30
)

type signInFailure struct {
	ID        int64
	Bucket    string
	CreatedAt time.Time
}

func (signInFailure) TableName() string { return "sign_in_failures" }

// Authenticate checks an email and password. Repeated failures for one account or from
// one IP pause sign-in for that account or IP (ErrTooManyAttempts), whether or not the
// account exists, so the pause reveals nothing. Unknown emails cost as much time as
// known ones.
func (s *Store) Authenticate(ctx context.Context, email, password, ip string) (User, error) {
	email = NormalizeEmail(email)
	buckets := []string{"email:" + email, "ip:" + ip}
	db := s.db.WithContext(ctx)
	since := s.Now().Add(-signInWindow)

	var perAccount, perIP int64
	if err := db.Model(&signInFailure{}).Where("bucket = ? AND created_at > ?", buckets[0], since).Count(&perAccount).Error; err != nil {
		return User{}, err
	}
	if err := db.Model(&signInFailure{}).Where("bucket = ? AND created_at > ?", buckets[1], since).Count(&perIP).Error; err != nil {
		return User{}, err
	}
	if perAccount >= maxFailuresPerAccount || perIP >= maxFailuresPerIP {
		return User{}, ErrTooManyAttempts
	}

	u, err := s.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, err
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = dummyHash
	}
	if !CheckPassword(hash, password) || u.ID == 0 {
		now := s.Now()
		err := s.transaction(ctx, func(tx *gorm.DB) error {
			rows := []signInFailure{{Bucket: buckets[0], CreatedAt: now}, {Bucket: buckets[1], CreatedAt: now}}
			if err := tx.Create(&rows).Error; err != nil {
				return err
			}
			return tx.Where("bucket IN ? AND created_at <= ?", buckets, since).Delete(&signInFailure{}).Error
		})
		if err != nil {
			return User{}, err
		}
		return User{}, ErrBadCredentials
	}

	err = s.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("bucket = ?", buckets[0]).Delete(&signInFailure{}).Error; err != nil {
			return err
		}
		return recordUserIP(tx, u.ID, ip, s.Now())
	})
	return u, err
}

type userIP struct {
	UserID    int64  `gorm:"primaryKey"`
	IP        string `gorm:"primaryKey;column:ip"`
	FirstSeen time.Time
	LastSeen  time.Time
}

func (userIP) TableName() string { return "user_ips" }

// recordUserIP remembers that the user used ip (for the same_ip flag of R12).
func recordUserIP(tx *gorm.DB, userID int64, ip string, now time.Time) error {
	if ip == "" {
		return nil
	}
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}, {Name: "ip"}},
		DoUpdates: clause.Assignments(map[string]any{"last_seen": now}),
	}).Create(&userIP{UserID: userID, IP: ip, FirstSeen: now, LastSeen: now}).Error
}

// EndSessions signs the user out everywhere by bumping their session version.
func (s *Store) EndSessions(ctx context.Context, userID int64) error {
	res := s.db.WithContext(ctx).Model(&User{}).Where("id = ?", userID).
		Updates(map[string]any{"session_version": gorm.Expr("session_version + 1"), "updated_at": s.Now()})
	return rowsAffected(res, ErrNotFound)
}
