package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// The original program's numbers (docs/rules.md); every one is a setting of each program.
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
func (p Program) Location() *time.Location { return zoneOrUTC(p.TimeZone) }

// zones holds the time zones loaded so far, by name: loading a zone reads and parses
// its file, which costs more than the rest of a dashboard, and programs name a handful.
var zones sync.Map // name -> *time.Location

// loadZone is the time zone called name, loaded once per process (the one way the
// product loads a time zone).
func loadZone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err // not kept: names come from forms, and a wrong one is rare
	}
	zones.Store(name, loc)
	return loc, nil
}

// zoneOrUTC is the time zone called name, or UTC when there is none by that name.
func zoneOrUTC(name string) *time.Location {
	loc, err := loadZone(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Zone is the time zone the dates of a list row are shown in: its program's, named by
// TimeZone (the default program time zone when the row has no program).
type Zone struct {
	TimeZone string
}

// Location is the zone as a *time.Location.
func (z Zone) Location() *time.Location {
	if z.TimeZone == "" {
		return zoneOrUTC(DefaultTimeZone)
	}
	return zoneOrUTC(z.TimeZone)
}

// Open reports whether friends can still sign up and earn: the program is active and its
// deadline has not passed.
func (p Program) Open(now time.Time) bool {
	return p.Status == ProgramActive && !now.After(p.Deadline)
}

// ShownStatus is the program's status as of now: an active program whose deadline has
// passed is shown as ended everywhere (it takes no sign-ups and counts nothing after
// its deadline), even before staff mark it ended.
func (p Program) ShownStatus(now time.Time) ProgramStatus {
	if p.Status == ProgramActive && now.After(p.Deadline) {
		return ProgramEnded
	}
	return p.Status
}

// Ended reports whether the program is over: marked ended, or past its deadline.
func (p Program) Ended(now time.Time) bool { return p.ShownStatus(now) == ProgramEnded }

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

// ProgramInput is what an admin (or the CLI) gives to create or edit a program, as typed:
// amounts in dollars, whole numbers as text, the deadline as a day in the program's time
// zone. What is left empty takes the original program's value.
type ProgramInput struct {
	Slug         string
	Name         string
	Deadline     string
	TimeZone     string
	Categories   []string
	Countries    []string
	Threshold    string
	Reward       string
	PerkMonths   string
	BusinessDays string
	ReminderDays string
	Status       ProgramStatus
}

// Input is the program as its edit form shows it.
func (p Program) Input() ProgramInput {
	return ProgramInput{
		Slug:         p.Slug,
		Name:         p.Name,
		Deadline:     p.Deadline.In(p.Location()).Format("2006-01-02"),
		TimeZone:     p.TimeZone,
		Categories:   p.Categories,
		Countries:    p.Countries,
		Threshold:    FormatDollars(p.ThresholdCents),
		Reward:       FormatDollars(p.RewardCents),
		PerkMonths:   strconv.Itoa(p.PerkMonths),
		BusinessDays: strconv.Itoa(p.PayoutBusinessDays),
		ReminderDays: strconv.Itoa(p.ReminderDays),
		Status:       p.Status,
	}
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
	} else if p.Slug == "new" {
		fe.Add("slug", "This slug is reserved; choose another.")
	}
	if p.Name == "" || len(p.Name) > 120 {
		fe.Add("name", "Enter a name of at most 120 characters.")
	}
	if p.TimeZone == "" {
		p.TimeZone = DefaultTimeZone
	}
	loc, err := loadZone(p.TimeZone)
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
	p.PerkMonths = wholeOr(in.PerkMonths, DefaultPerkMonths, 0, 24, "perk_months", fe)
	p.PayoutBusinessDays = wholeOr(in.BusinessDays, DefaultPayoutBusinessDays, 1, 30, "business_days", fe)
	p.ReminderDays = wholeOr(in.ReminderDays, DefaultReminderDays, 1, 90, "reminder_days", fe)
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

// wholeOr parses a whole number from lo to hi, or returns def when s is empty.
func wholeOr(s string, def, lo, hi int, field string, fe FieldErrors) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		fe.Add(field, fmt.Sprintf("Enter a whole number from %d to %d.", lo, hi))
		return def
	}
	return n
}

// CreateProgram creates a program from in. A slug already in use is a field error.
func (s *Store) CreateProgram(ctx context.Context, actor Actor, in ProgramInput) (Program, error) {
	if err := actor.may(ManagePrograms); err != nil {
		return Program{}, err
	}
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

// PublishedProgramBySlug loads a program anyone may read the terms of: active or ended,
// never a draft.
func (s *Store) PublishedProgramBySlug(ctx context.Context, slug string) (Program, error) {
	p, err := s.ProgramBySlug(ctx, slug)
	if err == nil && p.Status == ProgramDraft {
		return Program{}, ErrNotFound
	}
	return p, err
}

// ActivePrograms lists the active programs, the soonest deadline first.
func (s *Store) ActivePrograms(ctx context.Context) ([]Program, error) {
	var ps []Program
	err := s.db.WithContext(ctx).Where("status = ?", ProgramActive).Order("deadline, id").Find(&ps).Error
	return ps, err
}

// lockedOnceReferred are the settings friends earn under. Once a program has a referral,
// earnings have been counted (or ignored), payouts created and due dates told against
// them, so changing one would silently rewrite money already decided: they are fixed,
// and a different rule is a new program.
var lockedOnceReferred = []string{"categories", "threshold_cents", "deadline", "time_zone", "payout_business_days"}

// lockedField is the form field of a locked setting.
func lockedField(setting string) string {
	switch setting {
	case "threshold_cents":
		return "threshold"
	case "payout_business_days":
		return "business_days"
	}
	return setting
}

// UpdateProgram applies an admin's edit to the program slug (which itself never changes:
// the command line and the audit log name programs by it). Invalid input, or a change to
// a setting friends already earn under (see lockedOnceReferred), is a field error and
// changes nothing. The audit event lists each setting that changed, from and to.
func (s *Store) UpdateProgram(ctx context.Context, actor Actor, slug string, in ProgramInput) (Program, error) {
	if err := actor.may(ManagePrograms); err != nil {
		return Program{}, err
	}
	in.Slug = slug
	next, err := in.program()
	if err != nil {
		return Program{}, err
	}
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		var cur Program
		if err := tx.Where("slug = ?", slug).Take(&cur).Error; err != nil {
			return notFound(err)
		}
		next.ID, next.CreatedAt, next.RequiresTopRated = cur.ID, cur.CreatedAt, cur.RequiresTopRated
		changes := programChanges(cur, next)
		if len(changes) == 0 {
			next = cur
			return nil
		}
		var referred int64
		if err := tx.Model(&Referral{}).Where("program_id = ?", cur.ID).Limit(1).Count(&referred).Error; err != nil {
			return err
		}
		if referred > 0 {
			fe := FieldErrors{}
			for _, setting := range lockedOnceReferred {
				if _, changed := changes[setting]; changed {
					fe.Add(lockedField(setting), "Friends have already signed up and earned under this setting, so it cannot change. Start a new program for different rules.")
				}
			}
			if err := fe.Err(); err != nil {
				return err
			}
		}
		next.UpdatedAt = s.Now()
		if err := tx.Save(&next).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, "program.update", slug, changes)
	})
	if err != nil {
		return Program{}, fmt.Errorf("update program %s: %w", slug, err)
	}
	return next, nil
}

// programChanges lists the settings that differ between a and b, each as from and to.
func programChanges(a, b Program) map[string]any {
	changes := map[string]any{}
	add := func(field string, from, to any) {
		if fmt.Sprint(from) != fmt.Sprint(to) {
			changes[field] = map[string]any{"from": from, "to": to}
		}
	}
	add("name", a.Name, b.Name)
	add("categories", a.Categories, b.Categories)
	add("threshold_cents", a.ThresholdCents, b.ThresholdCents)
	add("reward_cents", a.RewardCents, b.RewardCents)
	add("deadline", a.Deadline.UTC().Format(time.RFC3339), b.Deadline.UTC().Format(time.RFC3339))
	add("time_zone", a.TimeZone, b.TimeZone)
	add("countries", a.Countries, b.Countries)
	add("perk_months", a.PerkMonths, b.PerkMonths)
	add("payout_business_days", a.PayoutBusinessDays, b.PayoutBusinessDays)
	add("reminder_days", a.ReminderDays, b.ReminderDays)
	add("status", a.Status, b.Status)
	return changes
}

// ProgramRow is a program with how far its invitations have gone.
type ProgramRow struct {
	Program   `gorm:"embedded"`
	Invited   int64
	Reminded  int64
	Referrals int64
	Qualified int64
}

// programRows selects programs with their counts, for a page of programs at a time,
// from the counter rows the database keeps (invitation_counts, referral_counts; see
// migration 00016): a few rows per program, where counting the invitations read every one.
func programRows(db *gorm.DB) *gorm.DB {
	return db.Model(&Program{}).Select(`programs.*,
		(SELECT COALESCE(SUM(c.invited), 0) FROM invitation_counts c WHERE c.program_id = programs.id) AS invited,
		(SELECT COALESCE(SUM(c.reminded), 0) FROM invitation_counts c WHERE c.program_id = programs.id) AS reminded,
		(SELECT COALESCE(SUM(c.n), 0) FROM referral_counts c WHERE c.program_id = programs.id) AS referrals,
		(SELECT COALESCE(SUM(c.n), 0) FROM referral_counts c WHERE c.program_id = programs.id AND c.status = 'qualified') AS qualified`)
}

// Programs lists the programs, active ones first, then drafts, then those ended.
func (s *Store) Programs(ctx context.Context, paging Paging) (Page[ProgramRow], error) {
	db := s.db.WithContext(ctx)
	var total int64
	if err := db.Model(&Program{}).Count(&total).Error; err != nil {
		return Page[ProgramRow]{}, fmt.Errorf("count programs: %w", err)
	}
	var rows []ProgramRow
	err := programRows(db).
		Order("CASE status WHEN 'active' THEN 0 WHEN 'draft' THEN 1 ELSE 2 END, deadline DESC, id").
		Offset(paging.Offset()).Limit(paging.Limit()).Find(&rows).Error
	if err != nil {
		return Page[ProgramRow]{}, fmt.Errorf("list programs: %w", err)
	}
	return newPage(rows, total, paging), nil
}

// ProgramSummary loads one program with its counts.
func (s *Store) ProgramSummary(ctx context.Context, slug string) (ProgramRow, error) {
	var rows []ProgramRow
	if err := programRows(s.db.WithContext(ctx)).Where("slug = ?", slug).Find(&rows).Error; err != nil {
		return ProgramRow{}, fmt.Errorf("program %s: %w", slug, err)
	}
	if len(rows) == 0 {
		return ProgramRow{}, ErrNotFound
	}
	return rows[0], nil
}

// ProgramChoice names a program for a list's program filter.
type ProgramChoice struct {
	Slug string
	Name string
}

// ProgramChoices lists every program by name, for the lists' program filters.
func (s *Store) ProgramChoices(ctx context.Context) ([]ProgramChoice, error) {
	var out []ProgramChoice
	err := s.db.WithContext(ctx).Model(&Program{}).Select("slug, name").Order("name, id").Find(&out).Error
	return out, err
}

// MarketplaceCategories are the marketplace's work categories, which the program form
// offers as choices (a program may also name another).
func MarketplaceCategories() []string {
	return []string{
		"Accounting & Consulting", "Admin Support", "Customer Service", "Data Science & Analytics",
		"Design & Creative", "Engineering & Architecture", "IT & Networking", "Legal",
		"Sales & Marketing", "Translation", "Web, Mobile & Software Dev", "Writing",
	}
}

// LockedOnceReferred lists the program form's fields that no longer change once a friend
// has signed up (see lockedOnceReferred), so the form can show them locked beforehand.
func LockedOnceReferred() []string {
	out := make([]string, len(lockedOnceReferred))
	for i, s := range lockedOnceReferred {
		out[i] = lockedField(s)
	}
	return out
}
