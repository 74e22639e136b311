package models

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ProgramStatus is where a program is in its life.
type ProgramStatus string

const (
	ProgramDraft  ProgramStatus = "draft"
	ProgramActive ProgramStatus = "active"
	ProgramEnded  ProgramStatus = "ended"
)

// The original program's numbers (SPEC §1); every one is a setting of each program.
const (
	DefaultCategory           = "Customer Service"
	DefaultThresholdCents     = 50000
	DefaultRewardCents        = 10000
	DefaultTimeZone           = "America/Los_Angeles"
	DefaultCountry            = "US"
	DefaultPerkMonths         = 1
	DefaultPayoutBusinessDays = 5
	DefaultReminderDays       = 7
)

// Program is one referral program: who may refer, what a friend must earn, by when, and
// what the referrer gets.
type Program struct {
	ID                 int64
	Slug               string
	Name               string
	Categories         []string `gorm:"serializer:json"`
	ThresholdCents     int64
	RewardCents        int64
	Deadline           time.Time
	TimeZone           string
	Countries          []string `gorm:"serializer:json"`
	RequiresTopRated   bool
	PerkMonths         int
	PayoutBusinessDays int
	ReminderDays       int
	Status             ProgramStatus
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Location is the program's display time zone.
func (p Program) Location() *time.Location {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Open reports whether friends can still sign up and earn: the program is active and its
// deadline has not passed.
func (p Program) Open(now time.Time) bool {
	return p.Status == ProgramActive && !now.After(p.Deadline)
}

// HasCategory reports whether earnings in category count toward this program
// (case-insensitive, ignoring surrounding spaces).
func (p Program) HasCategory(category string) bool {
	category = strings.TrimSpace(category)
	return slices.ContainsFunc(p.Categories, func(c string) bool { return strings.EqualFold(c, category) })
}

// HasCountry reports whether freelancers in country may refer in this program.
func (p Program) HasCountry(country string) bool {
	return slices.Contains(p.Countries, country)
}

// EndOfDay is the last instant of the calendar day date (YYYY-MM-DD) in loc: a deadline
// given as a day includes all of that day where the program lives.
func EndOfDay(date string, loc *time.Location) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", date, loc)
	if err != nil {
		return time.Time{}, errors.New("use a date like 2019-04-15")
	}
	return d.AddDate(0, 0, 1).Add(-time.Millisecond).UTC(), nil
}

// ProgramInput is what an admin (or the CLI) gives to create a program. Amounts are in
// dollars as typed; the deadline is a day in the program's time zone.
type ProgramInput struct {
	Slug       string
	Name       string
	Deadline   string
	TimeZone   string
	Categories []string
	Countries  []string
	Threshold  string
	Reward     string
	Status     ProgramStatus
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// program validates in and builds the program it describes, with defaults for what is
// left empty.
func (in ProgramInput) program() (Program, error) {
	fe := FieldErrors{}
	p := Program{
		Slug:               strings.TrimSpace(in.Slug),
		Name:               strings.TrimSpace(in.Name),
		TimeZone:           strings.TrimSpace(in.TimeZone),
		RequiresTopRated:   true,
		PerkMonths:         DefaultPerkMonths,
		PayoutBusinessDays: DefaultPayoutBusinessDays,
		ReminderDays:       DefaultReminderDays,
		Status:             in.Status,
	}
	if !slugPattern.MatchString(p.Slug) || len(p.Slug) > 60 {
		fe.Add("slug", "Use lower-case letters, digits and dashes, like customer-service.")
	}
	if p.Name == "" || len(p.Name) > 120 {
		fe.Add("name", "Enter a name of at most 120 characters.")
	}
	if p.TimeZone == "" {
		p.TimeZone = DefaultTimeZone
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil || p.TimeZone == "Local" {
		fe.Add("time_zone", "Use a time zone name like America/Los_Angeles.")
		loc = time.UTC
	}
	if p.Deadline, err = EndOfDay(strings.TrimSpace(in.Deadline), loc); err != nil {
		fe.Add("deadline", "Use a date like 2019-04-15.")
	}
	for _, c := range in.Categories {
		if c = strings.TrimSpace(c); c != "" && !p.HasCategory(c) {
			p.Categories = append(p.Categories, c)
		}
	}
	if len(p.Categories) == 0 {
		p.Categories = []string{DefaultCategory}
	}
	for _, c := range in.Countries {
		c = strings.ToUpper(strings.TrimSpace(c))
		if !ValidCountry(c) {
			fe.Add("countries", "Use two-letter country codes like US.")
		} else if !p.HasCountry(c) {
			p.Countries = append(p.Countries, c)
		}
	}
	if len(p.Countries) == 0 {
		p.Countries = []string{DefaultCountry}
	}
	p.ThresholdCents = dollarsOr(in.Threshold, DefaultThresholdCents, "threshold", fe)
	p.RewardCents = dollarsOr(in.Reward, DefaultRewardCents, "reward", fe)
	if p.Status == "" {
		p.Status = ProgramActive
	}
	if !slices.Contains([]ProgramStatus{ProgramDraft, ProgramActive, ProgramEnded}, p.Status) {
		fe.Add("status", "Choose draft, active or ended.")
	}
	return p, fe.Err()
}

// dollarsOr parses a positive dollar amount, or returns def when s is empty.
func dollarsOr(s string, def int64, field string, fe FieldErrors) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return def
	}
	cents, err := ParseDollars(s)
	if err != nil || cents <= 0 {
		fe.Add(field, "Enter a positive amount in dollars, like 500 or 99.50.")
	}
	return cents
}

// CreateProgram creates a program from in. A slug already in use is a field error.
func (s *Store) CreateProgram(ctx context.Context, actor Actor, in ProgramInput) (Program, error) {
	p, err := in.program()
	if err != nil {
		return Program{}, err
	}
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&p).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return FieldErrors{"slug": "A program with this slug already exists."}
			}
			return err
		}
		return s.audit(tx, actor, "program.create", p.Slug, map[string]any{
			"name": p.Name, "deadline": p.Deadline, "threshold_cents": p.ThresholdCents, "reward_cents": p.RewardCents,
		})
	})
	return p, err
}

// ProgramBySlug loads a program.
func (s *Store) ProgramBySlug(ctx context.Context, slug string) (Program, error) {
	var p Program
	err := s.db.WithContext(ctx).Where("slug = ?", slug).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Program{}, ErrNotFound
	}
	return p, err
}

// Featured picks the program to present when one is wanted: the open program with the
// nearest deadline, else the one that ended last. It returns nil for no programs.
func Featured(programs []Program, now time.Time) *Program {
	var ended *Program
	for i := range programs {
		if programs[i].Open(now) {
			return &programs[i]
		}
		if ended == nil || programs[i].Deadline.After(ended.Deadline) {
			ended = &programs[i]
		}
	}
	return ended
}

// ActivePrograms lists the active programs, the soonest deadline first.
func (s *Store) ActivePrograms(ctx context.Context) ([]Program, error) {
	var ps []Program
	err := s.db.WithContext(ctx).Where("status = ?", ProgramActive).Order("deadline, id").Find(&ps).Error
	return ps, err
}
