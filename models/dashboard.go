package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// The freelancer's dashboard: for each program, whether they may refer (R1), their
// numbers and their friends' progress; and, for a referred friend, their own progress.
// It is read in a fixed number of queries whatever the number of friends (one per list,
// counts by SQL aggregates), each scoped by the freelancer's id (R15).

// FriendStage is what a referrer is told about one referred friend. It combines the
// stored referral status with the program's deadline (R9) and the payout's review (R10,
// R11), in that order of precedence: a decision on the credit says more than progress.
type FriendStage string

const (
	StageRegistered FriendStage = "registered" // signed up, nothing counted yet
	StageEarning    FriendStage = "earning"    // counted earnings, below the threshold
	StageQualified  FriendStage = "qualified"  // reached the threshold; the credit awaits review
	StageApproved   FriendStage = "approved"   // credit approved, to be paid with its month's batch
	StagePaid       FriendStage = "paid"       // credit paid into the referrer's account
	StageRejected   FriendStage = "rejected"   // credit rejected, with a reason
	StageExpired    FriendStage = "expired"    // the deadline passed before the friend qualified (R9)
)

// ReferralStatusFor says where a referral stands at now. payout is the referral's payout,
// or nil when it has none.
func ReferralStatusFor(r Referral, payout *Payout, p Program, now time.Time) FriendStage {
	if payout != nil {
		switch payout.Status {
		case PayoutApproved:
			return StageApproved
		case PayoutPaid:
			return StagePaid
		case PayoutRejected:
			return StageRejected
		}
		return StageQualified
	}
	switch {
	case r.Status == ReferralQualified:
		return StageQualified
	case r.Expired(p.Deadline, now):
		return StageExpired
	case r.Status == ReferralEarning || r.CountedCents != 0:
		return StageEarning
	}
	return StageRegistered
}

// ReferrerStats are a referrer's numbers in one program.
type ReferrerStats struct {
	Clicks  int64
	SignUps int64
	// InProgress are friends who may still qualify: not qualified, deadline not passed.
	InProgress int64
	Qualified  int64
	Expired    int64
	Credits    CreditPipeline
}

// CreditPipeline is where a referrer's credits are: in review, approved (to be paid by
// ApprovedPayBy, the due date of the latest batch they joined), and paid. Credits earned
// are their sum; rejected credits are in none of them.
type CreditPipeline struct {
	InReviewCents int64
	ApprovedCents int64
	PaidCents     int64
	ApprovedPayBy *time.Time
	// latestMonth is the batch month ApprovedPayBy was worked out for: a business
	// calendar is costly, so it is worked out again only for a later month.
	latestMonth string
}

// EarnedCents is the headline: every credit not rejected.
func (c CreditPipeline) EarnedCents() int64 { return c.InReviewCents + c.ApprovedCents + c.PaidCents }

// add counts one credit in the pipeline; dueDate gives the due date of a batch month.
func (c *CreditPipeline) add(status PayoutStatus, cents int64, batchMonth string, dueDate func(month string) (time.Time, error)) {
	switch status {
	case PayoutPendingReview:
		c.InReviewCents += cents
	case PayoutApproved:
		c.ApprovedCents += cents
		if batchMonth < c.latestMonth {
			return
		}
		if due, err := dueDate(batchMonth); err == nil && (c.ApprovedPayBy == nil || due.After(*c.ApprovedPayBy)) {
			c.ApprovedPayBy, c.latestMonth = &due, batchMonth
		}
	case PayoutPaid:
		c.PaidCents += cents
	}
}

// FriendRow is one referred friend as their referrer sees them, with the moments of
// their timeline (joined, first earning, qualified, decided, paid) that have happened.
type FriendRow struct {
	ReferralID   int64
	FriendName   string
	RegisteredAt time.Time
	CountedCents int64
	Stage        FriendStage
	RejectReason string
	// BatchMonth (YYYY-MM) is the batch an approved or paid credit belongs to (R11).
	BatchMonth string
	// PayBy is the due date of the credit's batch (R11), for "approved, paid by DATE".
	PayBy          *time.Time
	FirstEarningAt *time.Time
	QualifiedAt    *time.Time
	DecidedAt      *time.Time
	PaidAt         *time.Time
}

// ProgramDashboard is one program on a freelancer's dashboard.
type ProgramDashboard struct {
	Eligibility
	// Open: friends can still sign up and earn (the program is active, its deadline ahead).
	Open bool
	// Stats, Activity and Friends are set when the freelancer holds the program's
	// invitation.
	Stats    ReferrerStats
	Activity Activity
	Friends  Page[FriendRow]
}

// ShowsLink reports whether the freelancer should be handed their invite link: they may
// refer and friends can still sign up.
func (d ProgramDashboard) ShowsLink() bool { return d.CanRefer() && d.Open }

// FriendProgress is a referred friend's own view of their referral.
type FriendProgress struct {
	Program           Program
	ReferrerFirstName string
	RegisteredAt      time.Time
	CountedCents      int64
	// Reached: the friend earned the threshold in time. Expired: the deadline passed first.
	Reached bool
	Expired bool
	// PlusUntil is when the friend's Freelancer Plus membership ends.
	PlusUntil *time.Time
}

// Dashboard is everything the freelancer's home page shows.
type Dashboard struct {
	User     User
	Programs []ProgramDashboard
	// Friend is set when the freelancer signed up through someone's invite.
	Friend *FriendProgress
}

// DashboardQuery picks which program's friend list is paged (by slug) and the page.
// The other programs show their first page.
type DashboardQuery struct {
	Program string
	Paging  Paging
}

// Dashboard reads the dashboard of freelancer userID: the open programs and every
// program they were invited to (closed ones too, so they keep seeing their friends and
// credits), open programs first by deadline, then the rest, latest deadline first. A
// referred friend is not shown the programs they were not invited to: their dashboard is
// their own progress, not a list of what they cannot do.
//
// It takes a fixed number of queries whatever the number of friends or clicks, each
// scoped by the freelancer's id (R15): the freelancer with their own referral, the
// programs with their invitations, and for a referrer their referrals' facts (stats and
// activity), their clicks per day, and one page of friends per program they were invited
// to (plus one for a referred friend whose program has ended).
func (s *Store) Dashboard(ctx context.Context, userID int64, q DashboardQuery) (Dashboard, error) {
	me, err := s.dashboardUser(ctx, userID)
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{User: me.User}
	u := me.User
	now := s.Now()

	programs, err := s.dashboardPrograms(ctx, userID)
	if err != nil {
		return Dashboard{}, err
	}
	slices.SortFunc(programs, func(a, b Eligibility) int {
		if a.Program.Open(now) != b.Program.Open(now) {
			if a.Program.Open(now) {
				return -1
			}
			return 1
		}
		if a.Program.Open(now) {
			return cmp.Or(a.Program.Deadline.Compare(b.Program.Deadline), cmp.Compare(a.Program.ID, b.Program.ID))
		}
		return cmp.Or(b.Program.Deadline.Compare(a.Program.Deadline), cmp.Compare(a.Program.ID, b.Program.ID))
	})
	var (
		facts  map[int64]referralFacts
		clicks map[int64]map[string]int64
	)
	if invs := invitationIDs(programs); len(invs) > 0 {
		if facts, err = s.referrerFacts(ctx, userID, programs); err != nil {
			return Dashboard{}, err
		}
		if clicks, err = s.clickDays(ctx, invs); err != nil {
			return Dashboard{}, err
		}
	}

	for _, e := range programs {
		p, inv := e.Program, e.Invitation
		if inv == nil && (!p.Open(now) || me.RefID != nil) {
			continue // a closed program is news only to those who took part; a friend's own progress says enough
		}
		pd := ProgramDashboard{Eligibility: CheckEligibility(u, p, inv), Open: p.Open(now)}
		if inv != nil {
			f := facts[p.ID]
			pd.Stats = f.stats(p, inv.Clicks, now)
			pd.Activity = BuildActivity(p, now, clicks[inv.ID], f.signedUp, f.qualified)
			paging := Paging{}
			if q.Program == p.Slug {
				paging = q.Paging
			}
			rows, err := s.friendRows(ctx, userID, p, paging, now)
			if err != nil {
				return Dashboard{}, err
			}
			pd.Friends = newPage(rows, f.signUps, paging)
		}
		d.Programs = append(d.Programs, pd)
	}

	if d.Friend, err = s.friendProgress(ctx, me, programs, now); err != nil {
		return Dashboard{}, err
	}
	return d, nil
}

// invitationIDs lists the invitations among a dashboard's programs.
func invitationIDs(programs []Eligibility) []int64 {
	var ids []int64
	for _, e := range programs {
		if e.Invitation != nil {
			ids = append(ids, e.Invitation.ID)
		}
	}
	return ids
}

// dashboardUser is a freelancer as their dashboard needs them: with the referral that
// brought them, if one did, and the first name of its referrer, in one query.
type dashboardUser struct {
	User            `gorm:"embedded"`
	RefID           *int64
	RefProgramID    *int64
	RefRegisteredAt *time.Time
	RefCountedCents *int64
	RefStatus       *ReferralStatus
	ReferrerName    *string
}

func (s *Store) dashboardUser(ctx context.Context, userID int64) (dashboardUser, error) {
	rows := make([]dashboardUser, 0, 1) // gorm makes room for 20 rows otherwise
	err := s.db.WithContext(ctx).Table("users").
		Select("users.*, r.id AS ref_id, r.program_id AS ref_program_id, r.registered_at AS ref_registered_at, "+
			"r.counted_cents AS ref_counted_cents, r.status AS ref_status, ru.name AS referrer_name").
		Joins("LEFT JOIN referrals r ON r.friend_id = users.id").
		Joins("LEFT JOIN users ru ON ru.id = r.referrer_id").
		Where("users.id = ?", userID).Limit(1).Find(&rows).Error
	if err != nil {
		return dashboardUser{}, fmt.Errorf("user %d and their referral: %w", userID, err)
	}
	if len(rows) == 0 {
		return dashboardUser{}, ErrNotFound
	}
	return rows[0], nil
}

// dashboardPrograms reads, in one query, the programs a freelancer's dashboard may show
// (the active ones, and those not in draft they were invited to), each with the
// freelancer's invitation when they hold one.
func (s *Store) dashboardPrograms(ctx context.Context, userID int64) ([]Eligibility, error) {
	var rows []struct {
		Program       `gorm:"embedded"`
		InvID         *int64
		InvCode       *string
		InvInvitedAt  *time.Time
		InvRemindedAt *time.Time
		InvClicks     *int64
	}
	err := s.db.WithContext(ctx).Table("programs").
		Select("programs.*, i.id AS inv_id, i.code AS inv_code, i.invited_at AS inv_invited_at, "+
			"i.reminded_at AS inv_reminded_at, i.clicks AS inv_clicks").
		Joins("LEFT JOIN invitations i ON i.program_id = programs.id AND i.referrer_id = ?", userID).
		Where("programs.status = ? OR (programs.status <> ? AND i.id IS NOT NULL)", ProgramActive, ProgramDraft).
		Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("programs of user %d: %w", userID, err)
	}
	out := make([]Eligibility, len(rows))
	for i, r := range rows {
		out[i].Program = r.Program
		s.zones.locateProgram(&out[i].Program)
		if r.InvID != nil {
			out[i].Invitation = &Invitation{ID: *r.InvID, ProgramID: r.Program.ID, ReferrerID: userID, Code: *r.InvCode,
				InvitedAt: *r.InvInvitedAt, RemindedAt: r.InvRemindedAt, Clicks: *r.InvClicks}
		}
	}
	return out, nil
}

// referralFacts are what a referrer's referrals in one program add up to: the counts and
// credits of their stats, and when each friend signed up and qualified, for the activity
// chart.
type referralFacts struct {
	signUps, qualifiedCount int64
	credits                 CreditPipeline
	signedUp, qualified     []time.Time
}

// stats are the facts as the dashboard shows them at now, with the invitation's clicks.
func (f referralFacts) stats(p Program, clicks int64, now time.Time) ReferrerStats {
	st := ReferrerStats{Clicks: clicks, SignUps: f.signUps, Qualified: f.qualifiedCount, Credits: f.credits}
	if now.After(p.Deadline) {
		st.Expired = f.signUps - f.qualifiedCount
	} else {
		st.InProgress = f.signUps - f.qualifiedCount
	}
	return st
}

// referrerFacts reads a referrer's referrals in every program, one narrow row each (the
// referrals (referrer_id, ...) index finds them), and adds them up per program in Go: the
// activity chart needs each sign-up's and qualification's instant placed on the program's
// calendar, which SQL cannot do alike on both databases. Like the other hot reads of the
// dashboard it runs as a prepared statement scanned with database/sql: parsing the SQL
// and gorm's reflection cost more than the query.
func (s *Store) referrerFacts(ctx context.Context, referrerID int64, programs []Eligibility) (map[int64]referralFacts, error) {
	rows, err := s.query(ctx, `SELECT r.program_id, r.registered_at, r.qualified_at,
			p.status, p.amount_cents, p.batch_month
		FROM referrals r LEFT JOIN payouts p ON p.referral_id = r.id
		WHERE r.referrer_id = ?`, referrerID)
	if err != nil {
		return nil, fmt.Errorf("referrals of user %d: %w", referrerID, err)
	}
	defer rows.Close()
	out := make(map[int64]referralFacts)
	for rows.Next() {
		var (
			programID    int64
			registeredAt time.Time
			qualifiedAt  *time.Time
			status       *string
			cents        *int64
			batchMonth   *string
		)
		if err := rows.Scan(&programID, &registeredAt, &qualifiedAt, &status, &cents, &batchMonth); err != nil {
			return nil, fmt.Errorf("referrals of user %d: %w", referrerID, err)
		}
		f := out[programID]
		f.signUps++
		f.signedUp = append(f.signedUp, registeredAt)
		if qualifiedAt != nil {
			f.qualifiedCount++
			f.qualified = append(f.qualified, *qualifiedAt)
		}
		if status != nil {
			if i := slices.IndexFunc(programs, func(e Eligibility) bool { return e.Program.ID == programID }); i >= 0 {
				p := programs[i].Program
				f.credits.add(PayoutStatus(*status), *cents, deref(batchMonth), func(m string) (time.Time, error) { return s.dues.due(p, m) })
			}
		}
		out[programID] = f
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("referrals of user %d: %w", referrerID, err)
	}
	return out, nil
}

// friendRow is a referral joined with its friend's name and its payout, as scanned.
type friendRow struct {
	ID             int64
	FriendName     string
	RegisteredAt   time.Time
	CountedCents   int64
	Status         ReferralStatus
	QualifiedAt    *time.Time
	FirstEarningAt exprTime
	PayoutStatus   *PayoutStatus
	RejectReason   *string
	BatchMonth     *string
	DecidedAt      *time.Time
	PaidAt         *time.Time
	PayoutID       *int64
}

// friendRows lists one page of a referrer's friends in program p, newest sign-up first
// (a friend who just joined is at the top; the referrals (referrer_id, program_id,
// registered_at) index serves the order), each with its first counted earning (from the
// earnings (referral_id, occurred_at) index, one probe per row of the page).
func (s *Store) friendRows(ctx context.Context, referrerID int64, p Program, paging Paging, now time.Time) ([]FriendRow, error) {
	// A prepared statement scanned with database/sql (see referrerFacts).
	res, err := s.query(ctx, `SELECT r.id, u.name, r.registered_at, r.counted_cents, r.status, r.qualified_at,
			(SELECT MIN(e.occurred_at) FROM earnings e WHERE e.referral_id = r.id),
			p.id, p.status, p.reject_reason, p.batch_month, p.decided_at, p.paid_at
		FROM referrals r
		JOIN users u ON u.id = r.friend_id
		LEFT JOIN payouts p ON p.referral_id = r.id
		WHERE r.referrer_id = ? AND r.program_id = ?
		ORDER BY r.registered_at DESC, r.id DESC
		LIMIT ? OFFSET ?`, referrerID, p.ID, paging.Limit(), paging.Offset())
	if err != nil {
		return nil, fmt.Errorf("friends of user %d in program %s: %w", referrerID, p.Slug, err)
	}
	defer res.Close()
	scanned := make([]friendRow, 0, paging.Limit())
	for res.Next() {
		var f friendRow
		if err := res.Scan(&f.ID, &f.FriendName, &f.RegisteredAt, &f.CountedCents, &f.Status, &f.QualifiedAt, &f.FirstEarningAt,
			&f.PayoutID, &f.PayoutStatus, &f.RejectReason, &f.BatchMonth, &f.DecidedAt, &f.PaidAt); err != nil {
			return nil, fmt.Errorf("friends of user %d in program %s: %w", referrerID, p.Slug, err)
		}
		scanned = append(scanned, f)
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("friends of user %d in program %s: %w", referrerID, p.Slug, err)
	}
	rows := make([]FriendRow, len(scanned))
	for i, f := range scanned {
		ref := Referral{Status: f.Status, CountedCents: f.CountedCents}
		var payout *Payout
		if f.PayoutID != nil {
			payout = &Payout{Status: *f.PayoutStatus}
		}
		rows[i] = FriendRow{
			ReferralID:     f.ID,
			FriendName:     f.FriendName,
			RegisteredAt:   f.RegisteredAt,
			CountedCents:   f.CountedCents,
			Stage:          ReferralStatusFor(ref, payout, p, now),
			RejectReason:   deref(f.RejectReason),
			BatchMonth:     deref(f.BatchMonth),
			FirstEarningAt: f.FirstEarningAt.Time,
			QualifiedAt:    f.QualifiedAt,
			DecidedAt:      f.DecidedAt,
			PaidAt:         f.PaidAt,
		}
		if rows[i].Stage == StageApproved && rows[i].BatchMonth != "" {
			if due, err := s.dues.due(p, rows[i].BatchMonth); err == nil {
				rows[i].PayBy = &due
			}
		}
	}
	return rows, nil
}

// friendProgress is the freelancer's own referral, if they were referred, with its
// program (from programs when the dashboard shows it already).
func (s *Store) friendProgress(ctx context.Context, me dashboardUser, programs []Eligibility, now time.Time) (*FriendProgress, error) {
	if me.RefID == nil {
		return nil, nil
	}
	var p Program
	if i := slices.IndexFunc(programs, func(e Eligibility) bool { return e.Program.ID == *me.RefProgramID }); i >= 0 {
		p = programs[i].Program
	} else if err := s.db.WithContext(ctx).Take(&p, *me.RefProgramID).Error; err != nil {
		return nil, fmt.Errorf("program of referral %d: %w", *me.RefID, err)
	} else {
		s.zones.locateProgram(&p)
	}
	r := Referral{ID: *me.RefID, ProgramID: p.ID, RegisteredAt: *me.RefRegisteredAt, CountedCents: *me.RefCountedCents, Status: *me.RefStatus}
	stage := ReferralStatusFor(r, nil, p, now)
	return &FriendProgress{
		Program:           p,
		ReferrerFirstName: FirstName(deref(me.ReferrerName)),
		RegisteredAt:      r.RegisteredAt,
		CountedCents:      r.CountedCents,
		Reached:           stage == StageQualified,
		Expired:           stage == StageExpired,
		PlusUntil:         me.PlusUntil,
	}, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
