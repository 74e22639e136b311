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

// inviteBatchSize bounds how many invitations one transaction writes.
const inviteBatchSize = 500

// ErrProgramClosed: the program is not active or its deadline has passed.
var ErrProgramClosed = errors.New("the program is not open: it is a draft, has ended, or its deadline has passed")

// InviteProgram applies R2: it invites every eligible freelancer (Top Rated when the
// program requires it, in one of its countries, not opted out of marketing email, not yet
// invited), creating their invitation and code and queueing the invitation email in the
// same transaction. Running it again invites nobody twice: the unique (program,
// referrer) pair makes a second invitation impossible. It reports how many it invited.
func (s *Store) InviteProgram(ctx context.Context, actor Actor, slug string) (int, error) {
	p, err := s.ProgramBySlug(ctx, slug)
	if err != nil {
		return 0, err
	}
	if !p.Open(s.Now()) {
		return 0, ErrProgramClosed
	}
	total := 0
	for {
		selected, invited, err := s.inviteBatch(ctx, p)
		total += invited
		if err != nil {
			return total, err
		}
		if selected < inviteBatchSize {
			break
		}
	}
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		return s.audit(tx, actor, "program.invite", p.Slug, map[string]any{"invited": total})
	})
	return total, err
}

// inviteBatch invites up to inviteBatchSize eligible freelancers in one transaction. It
// reports how many it found and how many it invited: a concurrent run may have invited
// some of them first, and the conflict on (program, referrer) then skips them.
func (s *Store) inviteBatch(ctx context.Context, p Program) (selected, invited int, err error) {
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		selected, invited = 0, 0
		q := tx.Model(&User{}).
			Where("role = ? AND email_opt_out = ? AND country IN ?", RoleFreelancer, false, p.Countries).
			Where("NOT EXISTS (SELECT 1 FROM invitations i WHERE i.program_id = ? AND i.referrer_id = users.id)", p.ID).
			Order("id").Limit(inviteBatchSize)
		if p.RequiresTopRated {
			q = q.Where("top_rated = ?", true)
		}
		var users []User
		if err := q.Find(&users).Error; err != nil {
			return err
		}
		selected = len(users)
		now := s.Now()
		for _, u := range users {
			inv := Invitation{ProgramID: p.ID, ReferrerID: u.ID, Code: NewInviteCode(), InvitedAt: now}
			res := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "program_id"}, {Name: "referrer_id"}},
				DoNothing: true,
			}).Create(&inv)
			if res.Error != nil {
				return fmt.Errorf("invite %s: %w", u.Email, res.Error)
			}
			if res.RowsAffected == 0 {
				continue // invited by a concurrent run
			}
			msg := EmailMessage{Kind: EmailInvitation, To: u, Program: p, InviteCode: inv.Code}
			if err := s.queueEmail(tx, fmt.Sprintf("invitation:%d", inv.ID), msg); err != nil {
				return err
			}
			invited++
		}
		return nil
	})
	return selected, invited, err
}

// SendReminders applies the reminder half of R2: once, to each invited referrer who has
// no referral yet, ReminderDays after the invitation, unless they opted out. Each reminder
// is claimed with a conditional update, so concurrent runs never remind twice. It
// reports how many reminders it queued.
func (s *Store) SendReminders(ctx context.Context, actor Actor, slug string) (int, error) {
	p, err := s.ProgramBySlug(ctx, slug)
	if err != nil {
		return 0, err
	}
	if !p.Open(s.Now()) {
		return 0, ErrProgramClosed
	}
	now := s.Now()
	due := now.AddDate(0, 0, -p.ReminderDays)
	sent := 0
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		var invs []Invitation
		err := tx.Where("program_id = ? AND reminded_at IS NULL AND invited_at <= ?", p.ID, due).
			Where("NOT EXISTS (SELECT 1 FROM referrals r WHERE r.invitation_id = invitations.id)").
			Where("referrer_id IN (SELECT id FROM users WHERE email_opt_out = ?)", false).
			Order("id").Find(&invs).Error
		if err != nil {
			return err
		}
		for _, inv := range invs {
			res := tx.Model(&Invitation{}).Where("id = ? AND reminded_at IS NULL", inv.ID).Update("reminded_at", now)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue // reminded by a concurrent run
			}
			var u User
			if err := tx.Take(&u, inv.ReferrerID).Error; err != nil {
				return err
			}
			msg := EmailMessage{Kind: EmailReminder, To: u, Program: p, InviteCode: inv.Code}
			if err := s.queueEmail(tx, fmt.Sprintf("reminder:%d", inv.ID), msg); err != nil {
				return err
			}
			sent++
		}
		return s.audit(tx, actor, "program.remind", p.Slug, map[string]any{"reminded": sent})
	})
	return sent, err
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

// CountClick applies R4's counting: one more click on the invitation with this code. It
// returns what the link offers, or ErrNotFound for a code nobody holds.
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
		o, _, err = loadOffer(tx, code, s.Now())
		return err
	})
	return o, err
}

// InviteOffer reads what an invite code offers without counting a click: for a friend
// who comes back to sign up later, their code remembered in a cookie.
func (s *Store) InviteOffer(ctx context.Context, code string) (Offer, error) {
	o, _, err := loadOffer(s.db.WithContext(ctx), code, s.Now())
	return o, err
}
