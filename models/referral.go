package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ReferralStatus is how far a friend has come: signed up, earning, or past the threshold.
// Whether a referral is expired (R9) or paid is not stored here: it follows from the
// program's deadline and from the payout.
type ReferralStatus string

const (
	ReferralRegistered ReferralStatus = "registered"
	ReferralEarning    ReferralStatus = "earning"
	ReferralQualified  ReferralStatus = "qualified"
)

// Referral ties a friend to the referrer whose link they signed up through. A friend is
// referred at most once, ever.
type Referral struct {
	ID           int64
	ProgramID    int64
	InvitationID int64
	ReferrerID   int64
	FriendID     int64
	RegisteredAt time.Time
	// CountedCents is the sum of the friend's earnings that count (R6), refunds included.
	CountedCents int64
	Status       ReferralStatus
	QualifiedAt  *time.Time
}

// FriendSignup is what a friend gives on the sign-up form, with the invite code that
// brought them (from the link or the attribution cookie; "" for a plain sign-up).
type FriendSignup struct {
	Name     string
	Email    string
	Password string
	Country  string
	Code     string
	IP       string
}

// NoReferralReason says why a sign-up created an account but no referral.
type NoReferralReason string

const (
	NoInvite           NoReferralReason = "no_invite"           // no code, or one nobody holds
	ProgramNotOpen     NoReferralReason = "program_not_open"    // after the deadline, or the program ended
	ReferrerIneligible NoReferralReason = "referrer_ineligible" // the referrer may no longer refer (R1)
)

// SignupResult is the account created and, when the friend was referred, the referral.
type SignupResult struct {
	Friend   User
	Referral *Referral
	Program  *Program
	// Reason is set when no referral was made.
	Reason NoReferralReason
}

// Sign-ups from one address are limited, so a script cannot mint accounts (each one a
// possible self-referral, and an argon2 hash to compute) by the thousand. The limit is
// generous for a shared office or campus network.
const (
	signupWindow    = time.Hour
	maxSignupsPerIP = 20
)

// ErrTooManySignups: this address created too many accounts recently.
var ErrTooManySignups = errors.New("too many accounts were created from this network recently; try again in an hour")

// checkSignupRate refuses a sign-up from an address that created maxSignupsPerIP
// accounts within signupWindow. It is a soft limit (two racing sign-ups may both pass),
// which is enough against scripts; user_ips is indexed by address.
func (s *Store) checkSignupRate(ctx context.Context, ip string) error {
	if ip == "" {
		return nil
	}
	var n int64
	err := s.db.WithContext(ctx).Table("user_ips ui").Joins("JOIN users u ON u.id = ui.user_id").
		Where("ui.ip = ? AND u.signup_ip = ui.ip AND u.created_at > ?", ip, s.Now().Add(-signupWindow)).
		Count(&n).Error
	if err != nil {
		return fmt.Errorf("count sign-ups from %s: %w", ip, err)
	}
	if n >= maxSignupsPerIP {
		return ErrTooManySignups
	}
	return nil
}

// SignUpFriend applies R5. It refuses, creating nothing, when the input is invalid, the
// email already has an account of any kind, or the address in.IP created too many
// accounts in the last hour. Otherwise it creates, in one transaction, the account, and,
// when the invite code is valid, its program open and its holder still eligible (the
// Offer rule), the referral (status registered), the friend's Freelancer Plus perk and
// the "your friend joined" email to the referrer. A friend is referred at most once: the
// account is new, and referrals.friend_id is unique.
func (s *Store) SignUpFriend(ctx context.Context, in FriendSignup) (SignupResult, error) {
	nu := NewUser{Email: in.Email, Name: in.Name, Password: in.Password, Country: in.Country, SignupIP: in.IP}
	if err := nu.Validate().Err(); err != nil {
		return SignupResult{}, err
	}
	if err := s.checkSignupRate(ctx, in.IP); err != nil {
		return SignupResult{}, err
	}
	row, err := s.newUserRow(nu)
	if err != nil {
		return SignupResult{}, err
	}
	var res SignupResult
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		res = SignupResult{}
		if err := insertUser(tx, row); err != nil {
			return err
		}
		if err := recordUserIP(tx, row.ID, in.IP, row.CreatedAt); err != nil {
			return err
		}
		res.Friend = *row

		now := s.Now()
		offer, referrer, err := loadOffer(tx, in.Code, now)
		switch {
		case errors.Is(err, ErrNotFound):
			res.Reason = NoInvite
			return nil
		case err != nil:
			return err
		}
		p := offer.Program
		res.Program = &p
		if !offer.Available() {
			res.Reason = offer.Unavailable
			return nil
		}

		ref := Referral{
			ProgramID: p.ID, InvitationID: offer.Invitation.ID, ReferrerID: referrer.ID, FriendID: row.ID,
			RegisteredAt: now, Status: ReferralRegistered,
		}
		if err := tx.Create(&ref).Error; err != nil {
			return fmt.Errorf("create referral: %w", err)
		}
		plusUntil := now.AddDate(0, p.PerkMonths, 0)
		if err := tx.Model(&User{}).Where("id = ?", row.ID).Update("plus_until", plusUntil).Error; err != nil {
			return err
		}
		res.Friend.PlusUntil = &plusUntil
		res.Referral = &ref
		msg := EmailMessage{Kind: EmailFriendJoined, To: referrer, Program: p, FriendName: row.Name}
		return s.queueEmail(tx, fmt.Sprintf("friend_joined:%d", ref.ID), msg)
	})
	if err != nil {
		return SignupResult{}, err
	}
	return res, nil
}
