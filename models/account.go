package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Account lifecycle (docs/rules.md): people change their password and email preference;
// owners add staff, change their roles, disable and enable accounts. Changing a password
// or disabling an account bumps the session version, which ends the account's other
// sessions (the caller starts a fresh one for the person who changed their password).
// Every change is audited.

var (
	// ErrAccountDisabled: the account was disabled by an owner; it cannot sign in.
	ErrAccountDisabled = errors.New("this account is disabled")
	// ErrLastOwner: the change would leave no enabled owner to manage staff.
	ErrLastOwner = errors.New("this is the last enabled owner: make another owner first")
)

// Disabled reports whether an owner disabled the account.
func (u User) Disabled() bool { return u.DisabledAt != nil }

// MFAEnrolled reports whether the user signs in with a TOTP code.
func (u User) MFAEnrolled() bool { return u.TOTPEnrolledAt != nil }

// selfActor is a user acting on their own account.
func selfActor(u User, ip string) Actor { return StaffActor(u, ip) }

// ChangePassword sets user id's password to next. With a password already set, current
// must be it: a wrong one is a field error, counted against the account like a failed
// sign-in (a stolen session must not be a way to guess the password). A user without a
// password (created by the marketplace, or new staff, signed in by link) sets one without
// current. The session version is bumped: every session of the user ends, and the
// caller starts a new one with the returned user.
func (s *Store) ChangePassword(ctx context.Context, id int64, current, next, ip string) (User, error) {
	u, err := s.UserByID(ctx, id)
	if err != nil {
		return User{}, err
	}
	fe := FieldErrors{}
	if msg := ValidatePassword(next); msg != "" {
		fe.Add("new_password", msg)
	}
	if u.PasswordHash != "" {
		if current == "" {
			fe.Add("current_password", "Enter your current password.")
		} else if _, err := s.Authenticate(ctx, u.Email, current, ip); errors.Is(err, ErrBadCredentials) {
			fe.Add("current_password", "That is not your current password.")
		} else if errors.Is(err, ErrTooManyAttempts) {
			fe.Add("current_password", "Too many wrong passwords. Wait 15 minutes, then try again.")
		} else if err != nil && !errors.Is(err, ErrAccountDisabled) {
			return User{}, err
		}
	}
	if err := fe.Err(); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(next)
	if err != nil {
		return User{}, err
	}
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ? AND password_hash = ?", id, u.PasswordHash).Updates(map[string]any{
			"password_hash": hash, "session_version": gorm.Expr("session_version + 1"), "updated_at": s.Now(),
		})
		if err := rowsAffected(res, errors.New("the password was changed meanwhile; try again")); err != nil {
			return err
		}
		if err := tx.Take(&u, id).Error; err != nil {
			return err
		}
		action := "user.password_change"
		if current == "" {
			action = "user.password_set"
		}
		return s.audit(tx, selfActor(u, ip), action, u.Email, nil)
	})
	return u, err
}

// SetPassword sets the password of the account with email, for the command line (an
// operator resetting it). Every session of the account ends. Audited.
func (s *Store) SetPassword(ctx context.Context, actor Actor, email, password string) error {
	if err := actor.may(ManageStaff); err != nil {
		return err
	}
	if msg := ValidatePassword(password); msg != "" {
		return FieldErrors{"password": msg}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.transaction(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("email = ?", NormalizeEmail(email)).Updates(map[string]any{
			"password_hash": hash, "session_version": gorm.Expr("session_version + 1"), "updated_at": s.Now(),
		})
		if err := rowsAffected(res, ErrNotFound); err != nil {
			return err
		}
		return s.audit(tx, actor, "user.password_set", NormalizeEmail(email), nil)
	})
}

// SetMarketingEmails records whether user id wants invitations and reminders (R13's
// opt-out: email_opt_out is the opposite of on). Audited.
func (s *Store) SetMarketingEmails(ctx context.Context, id int64, on bool, ip string) error {
	return s.transaction(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.Take(&u, id).Error; err != nil {
			return notFound(err)
		}
		if on && !u.EmailOptOut || !on && u.UnsubscribedAt != nil {
			return nil // already so
		}
		now := s.Now()
		// The person's own choice: off sticks against the marketplace's sync, on clears it.
		var unsubscribedAt *time.Time
		if !on {
			unsubscribedAt = &now
		}
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{
			"email_opt_out": !on, "unsubscribed_at": unsubscribedAt, "updated_at": now}).Error; err != nil {
			return err
		}
		return s.audit(tx, selfActor(u, ip), "user.marketing_emails", u.Email, map[string]any{"on": on})
	})
}

// NewStaff is a member of staff an owner adds.
type NewStaff struct {
	Email string
	Name  string
	Role  string
}

// Validate returns the field errors of n, keyed by form field name.
func (n NewStaff) Validate() FieldErrors {
	fe := FieldErrors{}
	if msg := ValidateName(n.Name); msg != "" {
		fe.Add("name", msg)
	}
	if msg := ValidateEmail(n.Email); msg != "" {
		fe.Add("email", msg)
	}
	if _, err := ParseStaffRole(n.Role); err != nil {
		fe.Add("role", "Choose reviewer, finance or owner.")
	}
	return fe
}

// AddStaff creates a member of staff without a password and emails them a sign-in link
// (link writes its path, working until expires; the sender puts its BASE_URL in front), in one transaction: they sign in with it, set
// up two-factor sign-in, and may then set a password. An email already in use is a field
// error. Owners only. Audited.
func (s *Store) AddStaff(ctx context.Context, actor Actor, in NewStaff, link func(u User, expires time.Time) string) (User, error) {
	if err := actor.may(ManageStaff); err != nil {
		return User{}, err
	}
	if err := in.Validate().Err(); err != nil {
		return User{}, err
	}
	now := s.Now()
	u := User{Role: Role(in.Role), Email: NormalizeEmail(in.Email), Name: strings.TrimSpace(in.Name), SessionVersion: 1, CreatedAt: now, UpdatedAt: now}
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		if err := insertUser(tx, &u); errors.Is(err, ErrEmailTaken) {
			return FieldErrors{"email": "An account with this email already exists."}
		} else if err != nil {
			return err
		}
		if err := s.audit(tx, actor, "staff.add", u.Email, map[string]any{"role": u.Role}); err != nil {
			return err
		}
		expires := now.Add(SignInLinkTTL)
		return s.queueEmail(tx, fmt.Sprintf("staff_invite:%d", u.ID), EmailMessage{Kind: EmailStaffInvite, To: u, LinkPath: link(u, expires), Expires: expires})
	})
	return u, err
}

// StaffMember loads member of staff id, or ErrNotFound (freelancers included).
func (s *Store) StaffMember(ctx context.Context, id int64) (User, error) {
	return staffMember(s.db.WithContext(ctx), id)
}

// staffMember loads staff member id in tx for a change, or ErrNotFound (a freelancer is
// not managed here).
func staffMember(tx *gorm.DB, id int64) (User, error) {
	var u User
	if err := tx.Where("id = ? AND role IN ?", id, StaffRoles()).Take(&u).Error; err != nil {
		return User{}, notFound(err)
	}
	return u, nil
}

// keepAnOwner refuses a change that takes u out of the enabled owners when u is the last
// one. On PostgreSQL the enabled owners' rows are locked first, so two owners demoting
// each other at once are taken in turn and the second is refused (SQLite's writers are
// one at a time already).
func (s *Store) keepAnOwner(tx *gorm.DB, u User) error {
	if u.Role != RoleOwner || u.Disabled() {
		return nil
	}
	q := tx.Model(&User{}).Where("role = ? AND disabled_at IS NULL", RoleOwner).Order("id")
	if s.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var owners []int64
	if err := q.Pluck("id", &owners).Error; err != nil {
		return err
	}
	if len(owners) <= 1 {
		return ErrLastOwner
	}
	return nil
}

// SetStaffRole gives staff member id the role. Demoting the last enabled owner is
// refused (ErrLastOwner). Owners only. Audited.
func (s *Store) SetStaffRole(ctx context.Context, actor Actor, id int64, role Role) (User, error) {
	if err := actor.may(ManageStaff); err != nil {
		return User{}, err
	}
	if !role.IsStaff() {
		return User{}, FieldErrors{"role": "Choose reviewer, finance or owner."}
	}
	var u User
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		var err error
		if u, err = staffMember(tx, id); err != nil || u.Role == role {
			return err
		}
		if role != RoleOwner {
			if err := s.keepAnOwner(tx, u); err != nil {
				return err
			}
		}
		from := u.Role
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{"role": role, "updated_at": s.Now()}).Error; err != nil {
			return err
		}
		u.Role = role
		return s.audit(tx, actor, "staff.role", u.Email, map[string]any{"from": from, "to": role})
	})
	return u, err
}

// DisableUser disables account id: it cannot sign in (by password or link) and every
// session of it ends at once. Disabling the last enabled owner is refused (ErrLastOwner).
// Owners only (and the command line). Audited.
func (s *Store) DisableUser(ctx context.Context, actor Actor, id int64) (User, error) {
	if err := actor.may(ManageStaff); err != nil {
		return User{}, err
	}
	var u User
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&u, id).Error; err != nil {
			return notFound(err)
		}
		if u.Disabled() {
			return nil
		}
		if err := s.keepAnOwner(tx, u); err != nil {
			return err
		}
		now := s.Now()
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{
			"disabled_at": now, "session_version": gorm.Expr("session_version + 1"), "updated_at": now,
		}).Error; err != nil {
			return err
		}
		u.DisabledAt = &now
		return s.audit(tx, actor, "user.disable", u.Email, nil)
	})
	return u, err
}

// EnableUser lets disabled account id sign in again. Owners only (and the command
// line). Audited.
func (s *Store) EnableUser(ctx context.Context, actor Actor, id int64) (User, error) {
	if err := actor.may(ManageStaff); err != nil {
		return User{}, err
	}
	var u User
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&u, id).Error; err != nil {
			return notFound(err)
		}
		if !u.Disabled() {
			return nil
		}
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{"disabled_at": nil, "updated_at": s.Now()}).Error; err != nil {
			return err
		}
		u.DisabledAt = nil
		return s.audit(tx, actor, "user.enable", u.Email, nil)
	})
	return u, err
}

// StaffList lists every member of staff, owners first, then by name.
func (s *Store) StaffList(ctx context.Context) ([]User, error) {
	var staff []User
	err := s.db.WithContext(ctx).Where("role IN ?", StaffRoles()).
		Order(clause.Expr{SQL: "CASE role WHEN 'owner' THEN 0 WHEN 'finance' THEN 1 ELSE 2 END"}).Order("name, id").Find(&staff).Error
	return staff, err
}
