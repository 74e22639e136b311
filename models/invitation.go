package models

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Invitation lets one referrer refer friends in one program through their personal code.
type Invitation struct {
	ID         int64
	ProgramID  int64
	ReferrerID int64
	// Code is the random part of the invite link BASE_URL/r/CODE (R3).
	Code       string
	InvitedAt  time.Time
	RemindedAt *time.Time
	Clicks     int64
}

// Why a freelancer may not refer in a program (R1).
type Ineligibility string

const (
	NotTopRated       Ineligibility = "not_top_rated"
	CountryNotCovered Ineligibility = "country_not_covered"
	NotInvited        Ineligibility = "not_invited"
)

// Eligibility is whether one freelancer may refer in one program and, if not, every
// condition that is missing.
type Eligibility struct {
	Program    Program
	Invitation *Invitation
	Missing    []Ineligibility
}

// CanRefer reports whether nothing is missing.
func (e Eligibility) CanRefer() bool { return len(e.Missing) == 0 }

// CheckEligibility applies R1: a freelancer may refer when they are Top Rated (if the
// program requires it), live in one of the program's countries, and hold its invitation.
func CheckEligibility(u User, p Program, inv *Invitation) Eligibility {
	e := Eligibility{Program: p, Invitation: inv}
	if p.RequiresTopRated && !u.TopRated {
		e.Missing = append(e.Missing, NotTopRated)
	}
	if !p.HasCountry(u.Country) {
		e.Missing = append(e.Missing, CountryNotCovered)
	}
	if inv == nil {
		e.Missing = append(e.Missing, NotInvited)
	}
	return e
}

// Eligibilities tells a freelancer, for each active program, whether they may refer.
func (s *Store) Eligibilities(ctx context.Context, userID int64) ([]Eligibility, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	programs, err := s.ActivePrograms(ctx)
	if err != nil {
		return nil, err
	}
	var invs []Invitation
	if err := s.db.WithContext(ctx).Where("referrer_id = ?", userID).Find(&invs).Error; err != nil {
		return nil, err
	}
	out := make([]Eligibility, 0, len(programs))
	for _, p := range programs {
		var inv *Invitation
		for i := range invs {
			if invs[i].ProgramID == p.ID {
				inv = &invs[i]
			}
		}
		out = append(out, CheckEligibility(u, p, inv))
	}
	return out, nil
}

// Invite codes (R3): 10 characters of Crockford's base32 (no I, L, O or U, so nothing
// reads as another character) from crypto/rand: 50 bits, unique by constraint, and
// independent of who holds them.
const (
	codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	codeLength   = 10
)

// NewInviteCode draws a fresh random code.
func NewInviteCode() string {
	b := make([]byte, codeLength)
	_, _ = rand.Read(b) // never fails: crypto/rand panics rather than return weak bytes
	for i := range b {
		// 256 is a multiple of 32, so the low five bits are uniform.
		b[i] = codeAlphabet[b[i]&31]
	}
	return string(b)
}

// NormalizeCode reads a code the way a person may type it: any case, O for 0, I or L
// for 1, with dashes or spaces. It returns "" for anything that cannot be a code.
func NormalizeCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.NewReplacer("-", "", " ", "", "O", "0", "I", "1", "L", "1").Replace(s)
	if len(s) != codeLength || strings.Trim(s, codeAlphabet) != "" {
		return ""
	}
	return s
}

// ErrProgramClosed: the program is not active or its deadline has passed.
var ErrProgramClosed = errors.New("the program is not open: it is a draft, has ended, or its deadline has passed")

// eligibleReferrers narrows q (over users) to the freelancers who may be invited to, or
// reminded about, program p (R1, R2): Top Rated when p requires it, in one of its
// countries, not opted out of marketing email.
func eligibleReferrers(q *gorm.DB, p Program) *gorm.DB {
	q = q.Where("users.role = ? AND users.email_opt_out = ? AND users.country IN ?", RoleFreelancer, false, p.Countries)
	if p.RequiresTopRated {
		q = q.Where("users.top_rated = ?", true)
	}
	return q
}

// InviteProgram applies R2: it invites every eligible freelancer not yet invited,
// creating their invitation and code and queueing the invitation email in the same
// transaction, a batch at a time; each batch records its own audit event, so a run that
// stops midway leaves every invitation it sent accounted for. Running it again invites
// nobody twice: the unique (program, referrer) pair makes a second invitation impossible.
// It reports how many it invited.
func (s *Store) InviteProgram(ctx context.Context, actor Actor, slug string) (int, error) {
	if err := actor.may(ManagePrograms); err != nil {
		return 0, err
	}
	p, err := s.openProgram(ctx, slug)
	if err != nil {
		return 0, err
	}
	return s.inBatches(ctx, actor, "program.invite", "invited", p, s.inviteBatch)
}

// SendReminders applies the reminder half of R2: once, to each invited referrer who has
// no referral yet, ReminderDays after the invitation, unless they opted out or can no
// longer refer (R1). Each reminder is claimed with a conditional update, so concurrent
// runs never remind twice. Batches and audit events as InviteProgram. It reports how many
// reminders it queued.
func (s *Store) SendReminders(ctx context.Context, actor Actor, slug string) (int, error) {
	if err := actor.may(ManagePrograms); err != nil {
		return 0, err
	}
	p, err := s.openProgram(ctx, slug)
	if err != nil {
		return 0, err
	}
	return s.inBatches(ctx, actor, "program.remind", "reminded", p, s.remindBatch)
}

// openProgram loads a program that can invite and remind: active, before its deadline.
func (s *Store) openProgram(ctx context.Context, slug string) (Program, error) {
	p, err := s.ProgramBySlug(ctx, slug)
	if err != nil {
		return Program{}, err
	}
	if !p.Open(s.Now()) {
		return Program{}, ErrProgramClosed
	}
	return p, nil
}

// invitationBatchSize bounds how many people one transaction invites or reminds.
const invitationBatchSize = 500

// invitationBatch does up to invitationBatchSize invitations or reminders in tx and
// reports how many candidates it found and how many it sent.
type invitationBatch func(tx *gorm.DB, p Program, now time.Time) (found, sent int, err error)

// inBatches runs batch until it finds fewer candidates than a batch holds, each batch in
// its own transaction with its own audit event (action, with "count": sent). A run that
// sends nothing is audited once with 0, so every run shows in the log.
func (s *Store) inBatches(ctx context.Context, actor Actor, action, count string, p Program, batch invitationBatch) (int, error) {
	total := 0
	for {
		var found, sent int
		err := s.transaction(ctx, func(tx *gorm.DB) error {
			var err error
			if found, sent, err = batch(tx, p, s.Now()); err != nil || sent == 0 {
				return err
			}
			return s.audit(tx, actor, action, p.Slug, map[string]any{count: sent})
		})
		if err != nil {
			return total, err
		}
		total += sent
		if found < invitationBatchSize {
			break
		}
	}
	if total > 0 {
		return total, nil
	}
	return 0, s.transaction(ctx, func(tx *gorm.DB) error {
		return s.audit(tx, actor, action, p.Slug, map[string]any{count: 0})
	})
}

// inviteBatch invites eligible freelancers who hold no invitation yet. A concurrent run
// may invite some of them first; the conflict on (program, referrer) then skips them.
func (s *Store) inviteBatch(tx *gorm.DB, p Program, now time.Time) (found, sent int, err error) {
	var users []User
	q := eligibleReferrers(tx.Model(&User{}), p).
		Where("NOT EXISTS (SELECT 1 FROM invitations i WHERE i.program_id = ? AND i.referrer_id = users.id)", p.ID).
		Order("users.id").Limit(invitationBatchSize)
	if err := q.Find(&users).Error; err != nil {
		return 0, 0, err
	}
	for _, u := range users {
		inv := Invitation{ProgramID: p.ID, ReferrerID: u.ID, Code: NewInviteCode(), InvitedAt: now}
		res := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "program_id"}, {Name: "referrer_id"}},
			DoNothing: true,
		}).Create(&inv)
		if res.Error != nil {
			return 0, 0, fmt.Errorf("invite %s: %w", u.Email, res.Error)
		}
		if res.RowsAffected == 0 {
			continue
		}
		msg := EmailMessage{Kind: EmailInvitation, To: u, Program: p, InviteCode: inv.Code}
		if err := s.queueEmail(tx, fmt.Sprintf("invitation:%d", inv.ID), msg); err != nil {
			return 0, 0, err
		}
		sent++
	}
	return len(users), sent, nil
}

// remindBatch reminds invited referrers whose reminder is due and who have no referral
// yet. A concurrent run may claim some of them first; the conditional update on
// reminded_at then skips them.
func (s *Store) remindBatch(tx *gorm.DB, p Program, now time.Time) (found, sent int, err error) {
	var due []struct {
		Invitation `gorm:"embedded"`
		User       User `gorm:"embedded;embeddedPrefix:user_"`
	}
	q := eligibleReferrers(tx.Table("invitations").Joins("JOIN users ON users.id = invitations.referrer_id"), p).
		Select("invitations.*, users.id AS user_id, users.email AS user_email, users.name AS user_name, users.email_opt_out AS user_email_opt_out").
		Where("invitations.program_id = ? AND invitations.reminded_at IS NULL AND invitations.invited_at <= ?", p.ID, now.AddDate(0, 0, -p.ReminderDays)).
		Where("NOT EXISTS (SELECT 1 FROM referrals r WHERE r.invitation_id = invitations.id)").
		Order("invitations.id").Limit(invitationBatchSize)
	if err := q.Scan(&due).Error; err != nil {
		return 0, 0, err
	}
	for _, d := range due {
		res := tx.Model(&Invitation{}).Where("id = ? AND reminded_at IS NULL", d.Invitation.ID).Update("reminded_at", now)
		if res.Error != nil {
			return 0, 0, res.Error
		}
		if res.RowsAffected == 0 {
			continue
		}
		msg := EmailMessage{Kind: EmailReminder, To: d.User, Program: p, InviteCode: d.Invitation.Code}
		if err := s.queueEmail(tx, fmt.Sprintf("reminder:%d", d.Invitation.ID), msg); err != nil {
			return 0, 0, err
		}
		sent++
	}
	return len(due), sent, nil
}

// Offer is what an invite link offers a friend: the program, and who sent it. Only the
// referrer's first name leaves the Store, since the landing page is public. Unavailable
// says why signing up through the link would make no referral ("" when it would).
type Offer struct {
	Invitation        Invitation
	Program           Program
	ReferrerFirstName string
	Unavailable       NoReferralReason
}

// Available reports whether a sign-up through this offer would make a referral.
func (o Offer) Available() bool { return o.Unavailable == "" }

// loadOffer reads the offer of an invite code as of now, with the referrer. A code nobody
// holds (or that cannot be a code) is ErrNotFound.
func loadOffer(tx *gorm.DB, code string, now time.Time) (Offer, User, error) {
	code = NormalizeCode(code)
	if code == "" {
		return Offer{}, User{}, ErrNotFound
	}
	var o Offer
	var referrer User
	err := tx.Where("code = ?", code).Take(&o.Invitation).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Offer{}, User{}, ErrNotFound
	}
	if err != nil {
		return Offer{}, User{}, fmt.Errorf("invitation %s: %w", code, err)
	}
	if err := tx.Take(&o.Program, o.Invitation.ProgramID).Error; err != nil {
		return Offer{}, User{}, fmt.Errorf("program of invitation %d: %w", o.Invitation.ID, err)
	}
	if err := tx.Take(&referrer, o.Invitation.ReferrerID).Error; err != nil {
		return Offer{}, User{}, fmt.Errorf("referrer of invitation %d: %w", o.Invitation.ID, err)
	}
	o.ReferrerFirstName = FirstName(referrer.Name)
	switch {
	case !o.Program.Open(now):
		o.Unavailable = ProgramNotOpen
	case !CheckEligibility(referrer, o.Program, &o.Invitation).CanRefer():
		o.Unavailable = ReferrerIneligible
	}
	return o, referrer, nil
}

// FirstName is the first word of a person's name, for greetings and public pages.
func FirstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return ""
}

// CountClick applies R4's counting: one more click on the invitation with this code, in
// its running total and in its day's counter (the program's calendar day). It returns what
// the link offers, or ErrNotFound for a code nobody holds. Visits that are not a person
// following the link (previews, prefetches, the referrer) are the caller's to leave out,
// with InviteOffer.
func (s *Store) CountClick(ctx context.Context, code string) (Offer, error) {
	code = NormalizeCode(code)
	if code == "" {
		return Offer{}, ErrNotFound
	}
	var o Offer
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Invitation{}).Where("code = ?", code).Update("clicks", gorm.Expr("clicks + 1"))
		if err := rowsAffected(res, ErrNotFound); err != nil {
			return err
		}
		var err error
		now := s.Now()
		if o, _, err = loadOffer(tx, code, now); err != nil {
			return err
		}
		s.zones.locateProgram(&o.Program)
		return recordClick(tx, o.Invitation.ID, now.In(o.Program.Location()).Format(dayFormat))
	})
	return o, err
}

// InviteOffer reads what an invite code offers without counting a click: for a friend
// who comes back to sign up later, their code remembered in a cookie.
func (s *Store) InviteOffer(ctx context.Context, code string) (Offer, error) {
	o, _, err := loadOffer(s.db.WithContext(ctx), code, s.Now())
	return o, err
}
