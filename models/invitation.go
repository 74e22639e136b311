package models

import (
	"context"
	"time"
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
