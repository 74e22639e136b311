package models

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// User is a freelancer or a member of staff (see Role). Emails are unique across both.
type User struct {
	ID           int64
	Role         Role
	Email        string
	Name         string
	PasswordHash string
	Country      string
	TopRated     bool
	EmailOptOut  bool
	// UnsubscribedAt is when the person turned marketing email off themselves; the
	// marketplace's profile sync cannot turn it back on, only the person can.
	UnsubscribedAt  *time.Time
	ClientAccountID *string
	// PlusUntil is when the user's Freelancer Plus membership ends, if they have one.
	PlusUntil *time.Time
	SignupIP  string
	// SessionVersion is part of every session cookie; bumping it ends all sessions.
	SessionVersion int64
	// TOTPSecret (base32) is set once a member of staff enrolled in two-factor sign-in,
	// at TOTPEnrolledAt; TOTPLastStep is the time step of the last code accepted, so no
	// code works twice.
	TOTPSecret     string     `gorm:"column:totp_secret"`
	TOTPEnrolledAt *time.Time `gorm:"column:totp_enrolled_at"`
	TOTPLastStep   int64      `gorm:"column:totp_last_step"`
	// DisabledAt is when an owner disabled the account; a disabled account cannot sign in.
	DisabledAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// IsStaff reports whether u runs the program rather than refers.
func (u User) IsStaff() bool { return u.Role.IsStaff() }

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
	// Role is a staff role, or "" (or RoleFreelancer) for a freelancer.
	Role     Role
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
	if u.Role != "" && u.Role != RoleFreelancer && !u.Role.IsStaff() {
		fe.Add("role", "Choose reviewer, finance or owner.")
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
	if u.Role != "" {
		role = u.Role
	}
	now := s.Now()
	return &User{
		Role:           role,
		Email:          NormalizeEmail(u.Email),
		Name:           strings.TrimSpace(u.Name),
		PasswordHash:   hash,
		Country:        u.Country,
		TopRated:       u.TopRated && !role.IsStaff(),
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

// signInBucket is one sign-in rate limit: failures counted per key over the window.
type signInBucket struct {
	key   string
	limit int64
}

// signInBuckets are the limits an attempt counts against. Guessing one account's password
// from one address stops after a few tries; from many addresses only after many more, so
// that a stranger with a handful of tries cannot keep an account's owner (an admin, say)
// locked out; and one address guessing many accounts stops too.
func signInBuckets(email, ip string) []signInBucket {
	return []signInBucket{
		{"email:" + email + " ip:" + ip, 5},
		{"email:" + email, 50},
		{"ip:" + ip, 30},
	}
}

// Authenticate checks an email and password. Repeated failures pause sign-in (see
// signInBuckets) with ErrTooManyAttempts, whether or not the account exists, so the pause
// reveals nothing. Unknown emails cost as much time as known ones.
func (s *Store) Authenticate(ctx context.Context, email, password, ip string) (User, error) {
	email = NormalizeEmail(email)
	buckets := signInBuckets(email, ip)
	keys := make([]string, len(buckets))
	for i, b := range buckets {
		keys[i] = b.key
	}
	failures, err := attemptsSince(s.db.WithContext(ctx), s.Now().Add(-signInWindow), keys...)
	if err != nil {
		return User{}, err
	}
	for _, b := range buckets {
		if failures[b.key] >= b.limit {
			return User{}, ErrTooManyAttempts
		}
	}

	u, err := s.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, err
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = dummyHash
	}
	// An unknown email, and a freelancer created without a password (from the
	// marketplace's profiles), have no hash: neither can sign in.
	if !CheckPassword(hash, password) || u.PasswordHash == "" {
		err := s.transaction(ctx, func(tx *gorm.DB) error { return recordAttempt(tx, s.Now(), keys...) })
		if err != nil {
			return User{}, err
		}
		return User{}, ErrBadCredentials
	}

	if u.Disabled() {
		// Said only to whoever knows the password, so it reveals nothing to others.
		return User{}, ErrAccountDisabled
	}
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		// The owner is in: what was held against this account is forgiven.
		if err := tx.Where("bucket IN ?", keys[:2]).Delete(&signInFailure{}).Error; err != nil {
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

// FreelancerProfile is a freelancer's profile as the marketplace sends it (docs/api.md),
// keyed by email. A field left nil keeps its stored value; ClientAccountID "" clears it.
type FreelancerProfile struct {
	Email           string
	Name            *string
	Country         *string
	TopRated        *bool
	EmailOptOut     *bool
	ClientAccountID *string
}

// ProfileStatus is the answer to one profile.
type ProfileStatus string

const (
	ProfileCreated  ProfileStatus = "created"
	ProfileUpdated  ProfileStatus = "updated"
	ProfileRejected ProfileStatus = "rejected"
)

// ProfileResult answers one profile: what happened, and the freelancer's user id (the
// freelancer_id earnings may carry).
type ProfileResult struct {
	Email  string
	UserID int64
	Status ProfileStatus
	Reason string
}

// check normalises a profile and says what is wrong with it, or "".
func (p FreelancerProfile) check() (FreelancerProfile, string) {
	p.Email = NormalizeEmail(p.Email)
	if msg := ValidateEmail(p.Email); msg != "" {
		return p, "email is missing or not an email address"
	}
	if p.Name != nil {
		name := strings.TrimSpace(*p.Name)
		if ValidateName(name) != "" {
			return p, "name must be 1 to 100 characters, without control characters"
		}
		p.Name = &name
	}
	if p.Country != nil {
		c := strings.ToUpper(strings.TrimSpace(*p.Country))
		if !ValidCountry(c) {
			return p, fmt.Sprintf("country %q is not a two-letter ISO 3166-1 code", *p.Country)
		}
		p.Country = &c
	}
	if p.ClientAccountID != nil {
		id := strings.TrimSpace(*p.ClientAccountID)
		if id != "" {
			if reason := checkText("client_account_id", id); reason != "" {
				return p, reason
			}
		}
		p.ClientAccountID = &id
	}
	return p, ""
}

// merge applies the fields q gives over p (a later profile for the same email wins).
func (p FreelancerProfile) merge(q FreelancerProfile) FreelancerProfile {
	p.Name = cmp.Or(q.Name, p.Name)
	p.Country = cmp.Or(q.Country, p.Country)
	p.TopRated = cmp.Or(q.TopRated, p.TopRated)
	p.EmailOptOut = cmp.Or(q.EmailOptOut, p.EmailOptOut)
	p.ClientAccountID = cmp.Or(q.ClientAccountID, p.ClientAccountID)
	return p
}

// UpsertFreelancers creates or updates freelancers' profiles by email, in one
// transaction, and answers each profile in order. A new email creates a freelancer with
// no password: they exist for the rules (a friend must be new to the marketplace; fraud
// flags use client_account_id) but cannot sign in. An admin's email is refused: staff
// are not managed by the marketplace. Several profiles for one email apply in order.
//
// Set-based like RecordEarnings: per 1000 profiles, one lookup, one multi-row INSERT ...
// ON CONFLICT DO NOTHING and one UPDATE ... FROM (VALUES ...).
func (s *Store) UpsertFreelancers(ctx context.Context, profiles []FreelancerProfile) ([]ProfileResult, error) {
	return s.UpsertFreelancersDelivery(ctx, Delivery{}, profiles)
}

// upsertFreelancers is UpsertFreelancers in tx.
func (s *Store) upsertFreelancers(tx *gorm.DB, profiles []FreelancerProfile) ([]ProfileResult, error) {
	results := make([]ProfileResult, len(profiles))
	merged := map[string]FreelancerProfile{}
	itemsOf := map[string][]int{}
	var emails []string
	for i, raw := range profiles {
		results[i].Email = raw.Email
		p, reason := raw.check()
		if reason != "" {
			results[i].Status, results[i].Reason = ProfileRejected, reason
			continue
		}
		if prev, ok := merged[p.Email]; ok {
			p = prev.merge(p)
		} else {
			emails = append(emails, p.Email)
		}
		merged[p.Email] = p
		itemsOf[p.Email] = append(itemsOf[p.Email], i)
	}
	answer := func(email string, id int64, status ProfileStatus, reason string) {
		for _, i := range itemsOf[email] {
			results[i] = ProfileResult{Email: profiles[i].Email, UserID: id, Status: status, Reason: reason}
		}
	}

	now := s.Now()
	existing, err := usersByEmail(tx, emails)
	if err != nil {
		return nil, err
	}
	var create, update []FreelancerProfile
	for _, email := range emails {
		p := merged[email]
		switch u, ok := existing[email]; {
		case ok && u.IsStaff():
			answer(email, 0, ProfileRejected, "this email belongs to program staff")
		case ok:
			update = append(update, p)
		case p.Name == nil || *p.Name == "":
			answer(email, 0, ProfileRejected, "name is required to create a freelancer")
		default:
			create = append(create, p)
		}
	}

	created, err := insertFreelancers(tx, create, now)
	if err != nil {
		return nil, err
	}
	var raced []string // created by someone else since the lookup
	for _, p := range create {
		if id, ok := created[p.Email]; ok {
			answer(p.Email, id, ProfileCreated, "")
		} else {
			raced = append(raced, p.Email)
		}
	}
	if len(raced) > 0 {
		again, err := usersByEmail(tx, raced)
		if err != nil {
			return nil, err
		}
		for _, email := range raced {
			if again[email].IsStaff() {
				answer(email, 0, ProfileRejected, "this email belongs to program staff")
			} else {
				update = append(update, merged[email])
			}
		}
	}

	updated, err := updateFreelancers(tx, update, now)
	if err != nil {
		return nil, err
	}
	for _, p := range update {
		if id, ok := updated[p.Email]; ok {
			answer(p.Email, id, ProfileUpdated, "")
		} else {
			answer(p.Email, 0, ProfileRejected, "this email belongs to program staff")
		}
	}
	return results, nil
}

// usersByEmail looks up users by (normalised) email.
func usersByEmail(tx *gorm.DB, emails []string) (map[string]User, error) {
	users, err := findIn[User](tx, "email", emails, "id", "email", "role")
	out := make(map[string]User, len(users))
	for _, u := range users {
		out[u.Email] = u
	}
	return out, err
}

// insertFreelancers creates password-less freelancers, skipping emails taken meanwhile,
// and returns the ids of those it created by email.
func insertFreelancers(tx *gorm.DB, profiles []FreelancerProfile, now time.Time) (map[string]int64, error) {
	created := map[string]int64{}
	cols := slices.Repeat([]string{"?"}, 12)
	err := chunks(profiles, func(part []FreelancerProfile) error {
		args := make([]any, 0, len(part)*len(cols))
		for _, p := range part {
			var clientID any
			if p.ClientAccountID != nil && *p.ClientAccountID != "" {
				clientID = *p.ClientAccountID
			}
			args = append(args, string(RoleFreelancer), p.Email, *p.Name, "", deref(p.Country),
				deref(p.TopRated), deref(p.EmailOptOut), clientID, "", 1, now, now)
		}
		var rows []User
		// Raw SQL: gorm cannot say which rows of a multi-row insert were skipped.
		err := rawScan(tx, &rows, "INSERT INTO users (role, email, name, password_hash, country, top_rated, email_opt_out, "+
			"client_account_id, signup_ip, session_version, created_at, updated_at) VALUES "+placeholders(len(part), cols...)+
			" ON CONFLICT (email) DO NOTHING RETURNING id, email", args...)
		for _, u := range rows {
			created[u.Email] = u.ID
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create freelancers: %w", err)
	}
	return created, nil
}

// updateFreelancers applies the given fields of each profile to existing freelancers
// (never to an admin) in one statement per chunk, and returns the ids it updated.
func updateFreelancers(tx *gorm.DB, profiles []FreelancerProfile, now time.Time) (map[string]int64, error) {
	updated := map[string]int64{}
	cols := []string{"CAST(? AS TEXT)", "CAST(? AS TEXT)", "CAST(? AS TEXT)", "CAST(? AS BOOLEAN)", "CAST(? AS BOOLEAN)", "CAST(? AS TEXT)"}
	err := chunks(profiles, func(part []FreelancerProfile) error {
		args := []any{now}
		for _, p := range part {
			args = append(args, p.Email, ptrValue(p.Name), ptrValue(p.Country), ptrValue(p.TopRated), ptrValue(p.EmailOptOut), ptrValue(p.ClientAccountID))
		}
		args = append(args, RoleFreelancer)
		var rows []User
		// Raw SQL: one UPDATE for many rows; a NULL in VALUES keeps the stored value.
		err := rawScan(tx, &rows, "UPDATE users SET updated_at = ?, name = COALESCE(v.column2, users.name), "+
			"country = COALESCE(v.column3, users.country), top_rated = COALESCE(v.column4, users.top_rated), "+
			"email_opt_out = users.unsubscribed_at IS NOT NULL OR COALESCE(v.column5, users.email_opt_out), "+
			"client_account_id = CASE WHEN v.column6 IS NULL THEN users.client_account_id ELSE NULLIF(v.column6, '') END "+
			"FROM (VALUES "+placeholders(len(part), cols...)+") AS v WHERE users.email = v.column1 AND users.role = ? "+
			"RETURNING id, email", args...)
		for _, u := range rows {
			updated[u.Email] = u.ID
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update freelancers: %w", err)
	}
	return updated, nil
}

// ptrValue is *p, or nil (SQL NULL) for a nil pointer.
func ptrValue[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
