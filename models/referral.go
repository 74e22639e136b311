package models

import (
	"context"
	"database/sql"
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

// Expired applies R9: once the program's deadline has passed, a referral that did not
// qualify is expired. It is shown, never stored: nothing needs to run at the deadline.
func (r Referral) Expired(deadline, now time.Time) bool {
	return r.Status != ReferralQualified && now.After(deadline)
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

// signupTakenLimit is how many sign-ups for emails that already have an account one
// address may try in signInWindow. A person who forgot they have an account needs one or
// two; a script probing which emails have accounts is stopped after a few, and never
// costs a password hash (checkEmailFree comes before hashing).
const signupTakenLimit = 10

// checkEmailFree refuses, before any password is hashed, a sign-up from an address that
// was told too often that an email already has an account (ErrTooManyAttempts), and a
// sign-up for an email that has one (ErrEmailTaken, counted against the address).
func (s *Store) checkEmailFree(ctx context.Context, email, ip string) error {
	bucket := "sign_up_taken ip:" + ip
	db := s.db.WithContext(ctx)
	now := s.Now()
	if ip != "" {
		taken, err := attemptsSince(db, now.Add(-signInWindow), bucket)
		if err != nil {
			return err
		}
		if taken[bucket] >= signupTakenLimit {
			return ErrTooManyAttempts
		}
	}
	var n int64
	if err := db.Model(&User{}).Where("email = ?", NormalizeEmail(email)).Count(&n).Error; err != nil {
		return fmt.Errorf("look up %s: %w", email, err)
	}
	if n == 0 {
		return nil
	}
	if ip != "" {
		if err := s.transaction(ctx, func(tx *gorm.DB) error { return recordAttempt(tx, now, bucket) }); err != nil {
			return err
		}
	}
	return ErrEmailTaken
}

// SignUpFriend applies R5. It refuses, creating nothing, when the input is invalid, the
// email already has an account of any kind, the address in.IP was told so too often in
// the last 15 minutes (ErrTooManyAttempts), or it created too many accounts in the last
// hour. Otherwise it creates, in one transaction, the account, and,
// when the invite code is valid, its program open and its holder still eligible (the
// Offer rule), the referral (status registered), the friend's Freelancer Plus perk and
// the "your friend joined" email to the referrer. A friend is referred at most once: the
// account is new, and referrals.friend_id is unique.
func (s *Store) SignUpFriend(ctx context.Context, in FriendSignup) (SignupResult, error) {
	nu := NewUser{Email: in.Email, Name: in.Name, Password: in.Password, Country: in.Country, SignupIP: in.IP}
	if err := nu.Validate().Err(); err != nil {
		return SignupResult{}, err
	}
	if err := s.checkEmailFree(ctx, nu.Email, in.IP); err != nil {
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
		if err := s.queueEmail(tx, fmt.Sprintf("friend_joined:%d", ref.ID), msg); err != nil {
			return err
		}
		return s.queueWebhooks(tx, []outgoingEvent{newEvent(EventReferralRegistered, referralTarget(ref.ID), ReferralRegisteredData{
			ReferralID: ref.ID, Program: p.Slug, ReferrerEmail: referrer.Email, FriendEmail: row.Email,
			FreelancerPlusUntil: webhookDate(plusUntil, p.Location()), RegisteredAt: webhookTime(now),
		})})
	})
	if err != nil {
		return SignupResult{}, err
	}
	return res, nil
}

// referralDelta is what one batch adds to one referral's counted total: the sum of the
// earnings it counted, and the highest the batch's running sum reached along the way, in
// batch order. The peak makes a batch qualify a referral exactly when delivering its
// events one by one, in that order, would have; the earnings themselves, in order, say
// which one crossed the threshold (see afterCrossing).
type referralDelta struct {
	id       int64
	sum      int64
	peak     int64
	earnings []*Earning
}

func (d *referralDelta) add(e *Earning) {
	d.sum += e.AmountCents
	d.peak = max(d.peak, d.sum)
	d.earnings = append(d.earnings, e)
}

// afterCrossing lists the external ids of the batch's earnings that came after the one
// that took the total from before (the total before the batch) to threshold: the payout
// is created at that earning, so they are not part of the moment its flags describe.
func (d referralDelta) afterCrossing(before, threshold int64) []string {
	total := before
	for i, e := range d.earnings {
		if total += e.AmountCents; total >= threshold {
			ids := make([]string, 0, len(d.earnings)-i-1)
			for _, later := range d.earnings[i+1:] {
				ids = append(ids, later.ExternalID)
			}
			return ids
		}
	}
	return nil
}

// referralTotal is a referral's state right after a batch's earnings were added.
type referralTotal struct {
	ID           int64
	ProgramID    int64
	CountedCents int64
	Status       ReferralStatus
}

// applyCounted adds each referral's newly counted earnings to its total, and applies R8:
// the first time a total reaches its program's threshold the referral becomes qualified
// and gets exactly one payout of the reward, pending review; a pending payout whose
// referral is back below the threshold carries the below_threshold flag (and loses it
// when the total is back up).
//
// Exactly once, whatever the concurrency: each total moves by an atomic
// counted_cents = counted_cents + delta, under the row's lock, so concurrent batches add
// up; only the transaction whose update finds the referral not yet qualified (rows are
// locked until commit) qualifies it; and payouts.referral_id is unique. On PostgreSQL
// the rows are locked first in id order, so batches touching the same referrals never
// deadlock; SQLite runs one writer at a time. The lock is FOR NO KEY UPDATE, the one the
// update itself takes: FOR UPDATE would also wait for the key-share locks that the
// batch's own earnings rows (and other batches') hold on their referrals through the
// foreign key, taken earlier in no particular order, and so deadlock after all.
func (s *Store) applyCounted(tx *gorm.DB, deltas []referralDelta, programs map[int64]Program) error {
	if len(deltas) == 0 {
		return nil
	}
	sortByID(deltas)
	ids := make([]int64, len(deltas))
	byID := map[int64]referralDelta{}
	args := make([]any, 0, 2*len(deltas))
	for i, d := range deltas {
		ids[i], byID[d.id] = d.id, d
		args = append(args, d.id, d.sum)
	}
	// Under gorm (txQuery): these run once per batch with a parameter or two per
	// referral, and gorm's statement building and reflection scans cost more than they.
	if s.dialect == Postgres && len(ids) > 1 {
		cond, arg := s.inInts("id", ids)
		rows, err := s.txQuery(tx, "SELECT id FROM referrals WHERE "+cond+" ORDER BY id FOR NO KEY UPDATE", arg)
		if err == nil {
			err = s.scanAll(tx, rows, func(*sql.Rows) error { return nil })
		}
		if err != nil {
			return fmt.Errorf("lock referrals: %w", err)
		}
	}
	// One UPDATE for every referral of the batch: from two arrays on PostgreSQL (a
	// statement of fixed text), from a VALUES list on SQLite (UPDATE ... FROM).
	const set = "UPDATE referrals SET counted_cents = referrals.counted_cents + d.delta, " +
		"status = CASE WHEN referrals.status = ? THEN ? ELSE referrals.status END FROM "
	const where = " WHERE referrals.id = d.id RETURNING referrals.id, referrals.program_id, referrals.counted_cents, referrals.status"
	var query string
	if s.dialect == Postgres {
		sums := make([]int64, len(deltas))
		for i, d := range deltas {
			sums[i] = d.sum
		}
		query = set + "unnest(CAST(? AS BIGINT[]), CAST(? AS BIGINT[])) AS d(id, delta)" + where
		args = []any{ReferralRegistered, ReferralEarning, ids, sums}
	} else {
		query = set + "(SELECT column1 AS id, column2 AS delta FROM (VALUES " + placeholders(len(deltas), "?", "?") + ")) AS d" + where
		args = append([]any{ReferralRegistered, ReferralEarning}, args...)
	}
	rows, err := s.txQuery(tx, query, args...)
	var totals []referralTotal
	if err == nil {
		err = s.scanAll(tx, rows, func(rows *sql.Rows) error {
			var t referralTotal
			var status string
			err := rows.Scan(&t.ID, &t.ProgramID, &t.CountedCents, &status)
			t.Status = ReferralStatus(status)
			totals = append(totals, t)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("add to referral totals: %w", err)
	}

	var crossing, qualified []int64
	counted := map[int64]int64{}
	later := map[string]bool{} // earnings of this batch after their referral's crossing
	for _, t := range totals {
		p := programs[t.ProgramID]
		d := byID[t.ID]
		counted[t.ID] = t.CountedCents
		switch before := t.CountedCents - d.sum; {
		case t.Status == ReferralQualified:
			qualified = append(qualified, t.ID)
		case before+d.peak >= p.ThresholdCents:
			crossing = append(crossing, t.ID)
			for _, id := range d.afterCrossing(before, p.ThresholdCents) {
				later[id] = true
			}
		}
	}
	if err := s.qualify(tx, crossing, programs, later); err != nil {
		return err
	}
	return markBelowThreshold(tx, qualified, counted, programs)
}

// qualify makes the referrals qualified, each with its payout and the "your friend
// qualified" email to the referrer, all in tx. The update is conditional: a referral some
// other transaction qualified first is left alone. The payout's flags (R12) describe the
// moment it is created, at the earning that crossed the threshold: the earnings of the
// batch that came after it (later, by external id) are left out, as if they had arrived
// in a later delivery (which would not change the flags either). Only below_threshold
// follows the total as a later refund moves it (R8), here as in markBelowThreshold.
func (s *Store) qualify(tx *gorm.DB, ids []int64, programs map[int64]Program, later map[string]bool) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.Now()
	var won []int64
	err := rawScan(tx, &won, "UPDATE referrals SET status = ?, qualified_at = ? WHERE id IN ? AND status <> ? RETURNING id",
		ReferralQualified, now, ids, ReferralQualified)
	if err != nil {
		return fmt.Errorf("qualify referrals: %w", err)
	}
	if len(won) == 0 {
		return nil
	}
	var refs []Referral
	if err := tx.Where("id IN ?", won).Order("id").Find(&refs).Error; err != nil {
		return err
	}
	var userIDs, referrerIDs []int64
	for _, r := range refs {
		userIDs = append(userIDs, r.ReferrerID, r.FriendID)
		referrerIDs = append(referrerIDs, r.ReferrerID)
	}
	var users []User
	if err := tx.Where("id IN ?", userIDs).Find(&users).Error; err != nil {
		return err
	}
	userByID := map[int64]User{}
	for _, u := range users {
		userByID[u.ID] = u
	}
	var earnings []Earning
	err = tx.Select("external_id", "referral_id", "amount_cents", "client_id", "occurred_at").
		Where("referral_id IN ? AND status = ?", won, EarningCounted).Find(&earnings).Error
	if err != nil {
		return err
	}
	earningsOf := map[int64][]Earning{}
	for _, e := range earnings {
		if !later[e.ExternalID] {
			earningsOf[*e.ReferralID] = append(earningsOf[*e.ReferralID], e)
		}
	}
	// Every address a referrer was seen at: signing up or in (user_ips), and on any
	// signed-in request (user_ip_days).
	var ips []userIP
	err = rawScan(tx, &ips, "SELECT user_id, ip FROM user_ips WHERE user_id IN ? "+
		"UNION SELECT user_id, ip FROM user_ip_days WHERE user_id IN ?", referrerIDs, referrerIDs)
	if err != nil {
		return err
	}
	ipsOf := map[int64][]string{}
	for _, ip := range ips {
		ipsOf[ip.UserID] = append(ipsOf[ip.UserID], ip.IP)
	}

	payouts := make([]Payout, len(refs))
	for i, r := range refs {
		p := programs[r.ProgramID]
		referrer, friend := userByID[r.ReferrerID], userByID[r.FriendID]
		facts := FlagFacts{
			ThresholdCents: p.ThresholdCents,
			RegisteredAt:   r.RegisteredAt,
			QualifiedAt:    now,
			CountedCents:   r.CountedCents,
			Earnings:       earningsOf[r.ID],
			ReferrerIPs:    ipsOf[r.ReferrerID],
			FriendSignupIP: friend.SignupIP,
			ReferrerEmail:  referrer.Email,
			FriendEmail:    friend.Email,
		}
		if referrer.ClientAccountID != nil {
			facts.ReferrerClientAccountID = *referrer.ClientAccountID
		}
		payouts[i] = Payout{
			ReferralID: r.ID, ProgramID: p.ID, ReferrerID: r.ReferrerID, AmountCents: p.RewardCents,
			Status: PayoutPendingReview, Flags: Flags(facts), CreatedAt: now,
		}
	}
	// A second payout for a referral is impossible: payouts.referral_id is unique, and a
	// violation fails the whole batch rather than pass unnoticed.
	if err := tx.Create(&payouts).Error; err != nil {
		return fmt.Errorf("create payouts: %w", err)
	}
	hooks := make([]outgoingEvent, len(refs))
	emails := make([]queuedEmail, len(refs))
	for i, r := range refs {
		p := programs[r.ProgramID]
		emails[i] = queuedEmail{dedupeKey: fmt.Sprintf("friend_qualified:%d", r.ID), msg: EmailMessage{Kind: EmailFriendQualified,
			To: userByID[r.ReferrerID], Program: p, FriendName: userByID[r.FriendID].Name, AmountCents: p.RewardCents}}
		hooks[i] = newEvent(EventReferralQualified, referralTarget(r.ID), ReferralQualifiedData{
			ReferralID: r.ID, Program: p.Slug, ReferrerEmail: userByID[r.ReferrerID].Email, FriendEmail: userByID[r.FriendID].Email,
			CountedCents: r.CountedCents, QualifiedAt: webhookTime(now), PayoutID: payouts[i].ID, AmountCents: payouts[i].AmountCents,
		})
	}
	// The emails in one multi-row insert (and their jobs in one), whatever their number.
	if err := s.queueEmails(tx, emails); err != nil {
		return err
	}
	return s.queueWebhooks(tx, hooks)
}

// referralTarget names a referral in the audit log and in event keys.
func referralTarget(id int64) string { return fmt.Sprintf("referral:%d", id) }

// markBelowThreshold keeps the below_threshold flag of the unpaid payouts (pending review
// or approved) of these qualified referrals in step with their totals (R8): a refund that
// takes the total below the threshold flags the payout for the reviewer, and for whoever
// pays the batch; it is never dropped. A paid payout keeps the flags it was paid with.
func markBelowThreshold(tx *gorm.DB, ids []int64, counted map[int64]int64, programs map[int64]Program) error {
	if len(ids) == 0 {
		return nil
	}
	unpaid := []PayoutStatus{PayoutPendingReview, PayoutApproved}
	var open []Payout
	if err := tx.Where("referral_id IN ? AND status IN ?", ids, unpaid).Find(&open).Error; err != nil {
		return err
	}
	for _, po := range open {
		below := counted[po.ReferralID] < programs[po.ProgramID].ThresholdCents
		flags, changed := setFlag(po.Flags, FlagBelowThreshold, below)
		if !changed {
			continue
		}
		// Rare (a refund across the threshold), so one statement per payout. The status
		// condition leaves a payout paid meanwhile as it is.
		// A struct update, so that gorm applies the flags' JSON serializer.
		err := tx.Model(&Payout{ID: po.ID}).Where("status IN ?", unpaid).
			Select("flags").Updates(&Payout{Flags: flags}).Error
		if err != nil {
			return fmt.Errorf("flag payout %d: %w", po.ID, err)
		}
	}
	return nil
}
