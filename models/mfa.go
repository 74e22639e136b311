package models

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"gorm.io/gorm"
)

// Two-factor sign-in for staff (docs/rules.md, "Staff roles"): a TOTP code (RFC 6238: 6 digits, 30 s, SHA-1,
// as every authenticator app reads an otpauth:// URI) after the password, or one of ten
// one-time recovery codes. Freelancers are never asked.

// TOTPIssuer names the product in authenticator apps.
const TOTPIssuer = "Referrals"

const (
	totpPeriod = 30 * time.Second
	// totpSkew accepts the code of the step before and after the current one, for clocks
	// a little apart.
	totpSkew = 1
	// RecoveryCodeCount is how many recovery codes an enrolment makes.
	RecoveryCodeCount = 10
	// mfaLimit bounds wrong second-factor codes per account in the sign-in window:
	// whoever reaches this step has the password already, so the limit is per account,
	// whatever the address (a stranger cannot use it to lock the owner out).
	mfaLimit = 5
)

var (
	// ErrBadCode: the TOTP or recovery code is wrong, expired or already used.
	ErrBadCode = errors.New("the code is wrong or was already used")
	// ErrAlreadyEnrolled: the user has two-factor sign-in already.
	ErrAlreadyEnrolled = errors.New("two-factor sign-in is already set up")
)

// TOTPKey is a new secret for an authenticator app: the base32 secret, and the
// otpauth:// URI (the QR code's content) that carries it.
type TOTPKey struct {
	Secret string
	URI    string
}

// NewTOTPKey makes a random 160-bit secret for the account email.
func NewTOTPKey(email string) (TOTPKey, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: email, Period: uint(totpPeriod.Seconds()), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPKey{}, fmt.Errorf("make a TOTP secret: %w", err)
	}
	return TOTPKey{Secret: key.Secret(), URI: key.URL()}, nil
}

// TOTPURI is the otpauth:// URI of a base32 secret made by NewTOTPKey, or "" for a
// secret that is not base32.
func TOTPURI(email, secret string) string {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(raw) == 0 {
		return ""
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: email, Secret: raw,
		Period: uint(totpPeriod.Seconds()), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return ""
	}
	return key.URL()
}

// TOTPCode is the code of secret at t, as an authenticator app shows it (for the demo
// and for tests).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: uint(totpPeriod.Seconds()), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// totpStep is the time step of code for secret at now (within the skew), or 0 when the
// code does not match.
func totpStep(secret, code string, now time.Time) int64 {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0
	}
	step := now.Unix() / int64(totpPeriod.Seconds())
	var found int64
	for off := int64(-totpSkew); off <= totpSkew; off++ {
		want, err := TOTPCode(secret, time.Unix((step+off)*int64(totpPeriod.Seconds()), 0))
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found = step + off
		}
	}
	return found
}

// recoveryCodeFormat is xxxxx-xxxxx of lowercase letters and digits.
var recoveryCodeFormat = regexp.MustCompile(`^[a-z0-9]{5}-[a-z0-9]{5}$`)

const recoveryAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newRecoveryCode is 10 random characters (about 51 bits) as xxxxx-xxxxx.
func newRecoveryCode() string {
	b := make([]byte, 0, 10)
	for len(b) < 10 {
		var one [1]byte
		_, _ = rand.Read(one[:])
		if int(one[0]) < 252 { // 252 = 7 × 36: no bias
			b = append(b, recoveryAlphabet[int(one[0])%36])
		}
	}
	return string(b[:5]) + "-" + string(b[5:])
}

type recoveryCode struct {
	ID        int64
	UserID    int64
	Salt      string
	CodeHash  string
	UsedAt    *time.Time
	CreatedAt time.Time
}

func hashRecoveryCode(salt, code string) string {
	sum := sha256.Sum256([]byte(salt + ":" + code))
	return hex.EncodeToString(sum[:])
}

// EnrolTOTP turns on two-factor sign-in for staff member userID with secret, once code
// shows their app holds it: it stores the secret, makes ten recovery codes (returned
// here, and only here, in clear) and bumps the session version, so that no session
// opened before enrolment (without a code) goes on. The code is used up. Audited.
func (s *Store) EnrolTOTP(ctx context.Context, userID int64, secret, code, ip string) (User, []string, error) {
	step := totpStep(secret, code, s.Now())
	if step == 0 {
		return User{}, nil, FieldErrors{"code": "That code doesn't match. Enter the 6 digits your app shows now."}
	}
	return s.enrolTOTP(ctx, userID, secret, step, ip, nil)
}

// enrolTOTP is EnrolTOTP once the code is checked; step is its time step (0 for the
// demo, enrolled without a code).
func (s *Store) enrolTOTP(ctx context.Context, userID int64, secret string, step int64, ip string, codes []string) (User, []string, error) {
	now := s.Now()
	var u User
	if codes == nil {
		codes = make([]string, RecoveryCodeCount)
	}
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ? AND totp_enrolled_at IS NULL AND role IN ?", userID, StaffRoles()).Updates(map[string]any{
			"totp_secret": secret, "totp_enrolled_at": now, "totp_last_step": step,
			"session_version": gorm.Expr("session_version + 1"), "updated_at": now,
		})
		if err := rowsAffected(res, ErrAlreadyEnrolled); err != nil {
			return err
		}
		if err := tx.Take(&u, userID).Error; err != nil {
			return err
		}
		if err := insertRecoveryCodes(tx, userID, codes, now); err != nil {
			return err
		}
		return s.audit(tx, StaffActor(u, ip), "user.mfa_enrol", u.Email, nil)
	})
	if err != nil {
		return User{}, nil, err
	}
	return u, codes, nil
}

// insertRecoveryCodes stores the hashes of codes, replacing any the user had; an empty
// code is first filled with a new random one.
func insertRecoveryCodes(tx *gorm.DB, userID int64, codes []string, now time.Time) error {
	if err := tx.Where("user_id = ?", userID).Delete(&recoveryCode{}).Error; err != nil {
		return err
	}
	rows := make([]recoveryCode, len(codes))
	for i := range codes {
		if codes[i] == "" {
			codes[i] = newRecoveryCode()
		}
		salt := rand.Text()
		rows[i] = recoveryCode{UserID: userID, Salt: salt, CodeHash: hashRecoveryCode(salt, codes[i]), CreatedAt: now}
	}
	return tx.Create(&rows).Error
}

// VerifySecondFactor is the second step of a staff sign-in: code is the TOTP code of
// the user's app, accepted once (a code of a time step already used, even within its
// 30 seconds, is refused), or an unused recovery code, which is then used up. Wrong codes
// count against the account like wrong passwords: after mfaLimit in the sign-in window,
// ErrTooManyAttempts. It returns the user, for a fresh session.
func (s *Store) VerifySecondFactor(ctx context.Context, userID int64, code, ip string) (User, error) {
	now := s.Now()
	buckets := []signInBucket{{fmt.Sprintf("mfa user:%d", userID), mfaLimit}, {"ip:" + ip, signInBuckets("", ip)[2].limit}}
	keys := []string{buckets[0].key, buckets[1].key}
	var u User
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		failures, err := attemptsSince(tx, now.Add(-signInWindow), keys...)
		if err != nil {
			return err
		}
		for _, b := range buckets {
			if failures[b.key] >= b.limit {
				return ErrTooManyAttempts
			}
		}
		if err := tx.Take(&u, userID).Error; err != nil {
			return notFound(err)
		}
		ok, err := s.useSecondFactor(tx, u, strings.ToLower(strings.TrimSpace(code)), ip, now)
		if err != nil || ok {
			return err
		}
		return ErrBadCode
	})
	if errors.Is(err, ErrBadCode) {
		// Counted in a transaction of its own: the failed one rolled back.
		ferr := s.transaction(ctx, func(tx *gorm.DB) error { return recordAttempt(tx, now, keys...) })
		return User{}, errors.Join(err, ferr)
	}
	return u, err
}

// useSecondFactor accepts code for u in tx if it is a TOTP code of a step after the last
// one used, or an unused recovery code, and uses it up.
func (s *Store) useSecondFactor(tx *gorm.DB, u User, code, ip string, now time.Time) (bool, error) {
	if u.TOTPEnrolledAt == nil || u.DisabledAt != nil {
		return false, nil
	}
	if step := totpStep(u.TOTPSecret, code, now); step != 0 {
		// The conditional update makes each step's code work once, however close two
		// uses come.
		res := tx.Model(&User{}).Where("id = ? AND totp_last_step < ?", u.ID, step).Update("totp_last_step", step)
		if res.Error != nil || res.RowsAffected == 0 {
			return false, res.Error
		}
	} else if recoveryCodeFormat.MatchString(code) {
		var unused []recoveryCode
		if err := tx.Where("user_id = ? AND used_at IS NULL", u.ID).Find(&unused).Error; err != nil {
			return false, err
		}
		var match *recoveryCode
		for i, rc := range unused {
			if subtle.ConstantTimeCompare([]byte(hashRecoveryCode(rc.Salt, code)), []byte(rc.CodeHash)) == 1 {
				match = &unused[i]
			}
		}
		if match == nil {
			return false, nil
		}
		res := tx.Model(&recoveryCode{}).Where("id = ? AND used_at IS NULL", match.ID).Update("used_at", now)
		if res.Error != nil || res.RowsAffected == 0 {
			return false, res.Error
		}
		left := len(unused) - 1
		if err := s.audit(tx, StaffActor(u, ip), "user.mfa_recovery_code", u.Email, map[string]any{"left": left}); err != nil {
			return false, err
		}
	} else {
		return false, nil
	}
	if err := tx.Where("bucket = ?", fmt.Sprintf("mfa user:%d", u.ID)).Delete(&signInFailure{}).Error; err != nil {
		return false, err
	}
	return true, recordUserIP(tx, u.ID, ip, now)
}

// RecoveryCodesLeft is how many unused recovery codes the user has.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&recoveryCode{}).Where("user_id = ? AND used_at IS NULL", userID).Count(&n).Error
	return n, err
}

// ResetMFA turns two-factor sign-in off for the staff member with email, who lost their
// app and codes: they enrol again at their next sign-in. Their sessions end. Owners only
// (and the command line). Audited.
func (s *Store) ResetMFA(ctx context.Context, actor Actor, email string) error {
	if err := actor.may(ManageStaff); err != nil {
		return err
	}
	return s.transaction(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.Where("email = ?", NormalizeEmail(email)).Take(&u).Error; err != nil {
			return notFound(err)
		}
		if u.TOTPEnrolledAt == nil {
			return errors.New(u.Email + " has not set up two-factor sign-in")
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{
			"totp_secret": "", "totp_enrolled_at": nil, "totp_last_step": 0,
			"session_version": gorm.Expr("session_version + 1"), "updated_at": s.Now(),
		}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", u.ID).Delete(&recoveryCode{}).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, "user.mfa_reset", u.Email, nil)
	})
}

// demoRecoveryCodes are a demo staff member's recovery codes, derived from their TOTP
// secret so that seed --demo can print them again on every run (a real enrolment's
// codes are random and shown once).
func demoRecoveryCodes(secret string) []string {
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		mac := hmac.New(sha256.New, []byte(secret))
		fmt.Fprintf(mac, "demo recovery code %d", i)
		sum := mac.Sum(nil)
		b := make([]byte, 10)
		for j := range b {
			b[j] = recoveryAlphabet[int(sum[j])%len(recoveryAlphabet)]
		}
		codes[i] = string(b[:5]) + "-" + string(b[5:])
	}
	return codes
}

// enrolDemoStaff enrols demo staff member u with a new secret and derived recovery
// codes, without a code (nobody holds the app yet).
func (s *Store) enrolDemoStaff(ctx context.Context, u User) error {
	key, err := NewTOTPKey(u.Email)
	if err != nil {
		return err
	}
	_, _, err = s.enrolTOTP(ctx, u.ID, key.Secret, 0, "", demoRecoveryCodes(key.Secret))
	return err
}

// demoStaffLogin completes a demo staff login with the TOTP URI and up to three unused
// recovery codes of the account.
func (s *Store) demoStaffLogin(ctx context.Context, l *DemoLogin) error {
	u, err := s.UserByEmail(ctx, l.Email)
	if err != nil || !u.MFAEnrolled() {
		return err
	}
	l.TOTPURI = TOTPURI(u.Email, u.TOTPSecret)
	var unused []recoveryCode
	if err := s.db.WithContext(ctx).Where("user_id = ? AND used_at IS NULL", u.ID).Order("id").Find(&unused).Error; err != nil {
		return err
	}
	for _, code := range demoRecoveryCodes(u.TOTPSecret) {
		for _, rc := range unused {
			if hashRecoveryCode(rc.Salt, code) == rc.CodeHash && len(l.RecoveryCodes) < 3 {
				l.RecoveryCodes = append(l.RecoveryCodes, code)
			}
		}
	}
	return nil
}
