package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Sign-in links: a freelancer the marketplace created has no password, and anybody can
// forget theirs, so either can ask the sign-in page to email them a link that signs them
// in. The web side signs the link's token with a key from the session secret (the models
// never see it); here the email is queued, rate-limited, and the link is used up.
//
// A link is bound to the user's session version: using it bumps the version, which kills
// the link and every other session of that user (as signing out does).

// SignInLinkTTL is how long an emailed sign-in link works.
const SignInLinkTTL = 30 * time.Minute

// signInLinkEvery is the smallest gap between two sign-in link emails to one account:
// requests within one such period of the clock share a dedupe key, so they queue one email.
const signInLinkEvery = 5 * time.Minute

// signInLinkIPLimit is how many sign-in links one address may ask for in signInWindow,
// whatever the accounts (known or not), so the form cannot be used to mail-bomb many
// addresses or to probe for accounts at speed.
const signInLinkIPLimit = 10

// ErrSignInLinkUsed: the link was used already, or its user signed out (or was deleted)
// since it was sent.
var ErrSignInLinkUsed = errors.New("the sign-in link was already used")

// EmailSignInLink emails a sign-in link to the account with this address, if there is
// one: link writes the link's path (/login/link/TOKEN) for the user, working until
// expires (the sender puts its BASE_URL in front). An unknown address sends nothing and is not an error, so the caller answers alike and nobody learns who has an
// account. The email is transactional (opted-out freelancers get it too) and goes at most
// once per account per five minutes; an address asking too often gets
// ErrTooManyAttempts, whether or not the accounts exist.
func (s *Store) EmailSignInLink(ctx context.Context, email, ip string, link func(u User, expires time.Time) string) error {
	email = NormalizeEmail(email)
	now := s.Now()
	bucket := "sign_in_link ip:" + ip
	return s.transaction(ctx, func(tx *gorm.DB) error {
		// The sign-in rate-limit table counts these requests too, in their own bucket.
		recent, err := attemptsSince(tx, now.Add(-signInWindow), bucket)
		if err != nil {
			return err
		}
		if recent[bucket] >= signInLinkIPLimit {
			return ErrTooManyAttempts
		}
		if err := recordAttempt(tx, now, bucket); err != nil {
			return err
		}

		var u User
		err = tx.Where("email = ? AND disabled_at IS NULL", email).Take(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		} else if err != nil {
			return fmt.Errorf("look up %s for a sign-in link: %w", email, err)
		}
		expires := now.Add(SignInLinkTTL)
		key := fmt.Sprintf("sign_in_link:%d:%d", u.ID, now.Unix()/int64(signInLinkEvery/time.Second))
		return s.queueEmail(tx, key, EmailMessage{Kind: EmailSignInLink, To: u, LinkPath: link(u, expires), Expires: expires})
	})
}

// SignInLinkUser is the user a sign-in link issued for session version of user id
// would sign in, or ErrSignInLinkUsed when it no longer can.
func (s *Store) SignInLinkUser(ctx context.Context, id, version int64) (User, error) {
	u, err := s.UserByID(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return User{}, ErrSignInLinkUsed
	case err != nil:
		return User{}, err
	case u.SessionVersion != version, u.Disabled():
		return User{}, ErrSignInLinkUsed
	}
	return u, nil
}

// SignInWithLink uses a sign-in link issued for session version of user id, from ip: it
// bumps the session version only if it still is version, so of two uses of one link,
// however close, exactly one wins; the other, and any later one, gets ErrSignInLinkUsed.
// It returns the user with the new version, for a fresh session.
func (s *Store) SignInWithLink(ctx context.Context, id, version int64, ip string) (User, error) {
	var u User
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		now := s.Now()
		res := tx.Model(&User{}).Where("id = ? AND session_version = ? AND disabled_at IS NULL", id, version).
			Updates(map[string]any{"session_version": gorm.Expr("session_version + 1"), "updated_at": now})
		if err := rowsAffected(res, ErrSignInLinkUsed); err != nil {
			return err
		}
		if err := tx.Take(&u, id).Error; err != nil {
			return err
		}
		return recordUserIP(tx, u.ID, ip, now)
	})
	if err != nil {
		return User{}, fmt.Errorf("sign in user %d with a link: %w", id, err)
	}
	return u, nil
}
