package models

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// The dashboard as it was read before it became one statement (Store.Dashboard): a
// handful of plain queries, one per list, whose results the rules turn into the page.
// Kept as the reference the one-statement read is checked against
// (TestTheOneStatementDashboardIsTheOneTheRulesMake), on both databases.

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
func (s *Store) DashboardByQueries(ctx context.Context, userID int64, q DashboardQuery) (Dashboard, error) {
	me, err := s.refDashboardUser(ctx, userID)
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{User: me.User}
	u := me.User
	now := s.Now()

	programs, err := s.refDashboardPrograms(ctx, userID)
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
		facts  map[int64]refFacts
		clicks map[int64]map[string]int64
	)
	if invs := refInvitationIDs(programs); len(invs) > 0 {
		if facts, err = s.refReferrerFacts(ctx, userID, programs); err != nil {
			return Dashboard{}, err
		}
		if clicks, err = s.refClickDays(ctx, invs); err != nil {
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
			rows, err := s.refFriendRows(ctx, userID, p, paging, now)
			if err != nil {
				return Dashboard{}, err
			}
			pd.Friends = newPage(rows, f.signUps, paging)
		}
		d.Programs = append(d.Programs, pd)
	}

	if d.Friend, err = s.refFriendProgress(ctx, me, programs, now); err != nil {
		return Dashboard{}, err
	}
	return d, nil
}

// invitationIDs lists the invitations among a dashboard's programs.
func refInvitationIDs(programs []Eligibility) []int64 {
	var ids []int64
	for _, e := range programs {
		if e.Invitation != nil {
			ids = append(ids, e.Invitation.ID)
		}
	}
	return ids
}

// refUser is a freelancer as their dashboard needs them: with the referral that
// brought them, if one did, and the first name of its referrer, in one query.
type refUser struct {
	User            `gorm:"embedded"`
	RefID           *int64
	RefProgramID    *int64
	RefRegisteredAt *time.Time
	RefCountedCents *int64
	RefStatus       *ReferralStatus
	ReferrerName    *string
}

func (s *Store) refDashboardUser(ctx context.Context, userID int64) (refUser, error) {
	rows := make([]refUser, 0, 1) // gorm makes room for 20 rows otherwise
	err := s.db.WithContext(ctx).Table("users").
		Select("users.*, r.id AS ref_id, r.program_id AS ref_program_id, r.registered_at AS ref_registered_at, "+
			"r.counted_cents AS ref_counted_cents, r.status AS ref_status, ru.name AS referrer_name").
		Joins("LEFT JOIN referrals r ON r.friend_id = users.id").
		Joins("LEFT JOIN users ru ON ru.id = r.referrer_id").
		Where("users.id = ?", userID).Limit(1).Find(&rows).Error
	if err != nil {
		return refUser{}, fmt.Errorf("user %d and their referral: %w", userID, err)
	}
	if len(rows) == 0 {
		return refUser{}, ErrNotFound
	}
	return rows[0], nil
}

// dashboardPrograms reads, in one query, the programs a freelancer's dashboard may show
// (the active ones, and those not in draft they were invited to), each with the
// freelancer's invitation when they hold one.
func (s *Store) refDashboardPrograms(ctx context.Context, userID int64) ([]Eligibility, error) {
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
		if r.InvID != nil {
			out[i].Invitation = &Invitation{ID: *r.InvID, ProgramID: r.Program.ID, ReferrerID: userID, Code: *r.InvCode,
				InvitedAt: *r.InvInvitedAt, RemindedAt: r.InvRemindedAt, Clicks: *r.InvClicks}
		}
	}
	return out, nil
}

// refFacts are what a referrer's referrals in one program add up to: the counts and
// credits of their stats, and when each friend signed up and qualified, for the activity
// chart.
type refFacts struct {
	signUps, qualifiedCount int64
	credits                 CreditPipeline
	signedUp, qualified     []time.Time
}

// stats are the facts as the dashboard shows them at now, with the invitation's clicks.
func (f refFacts) stats(p Program, clicks int64, now time.Time) ReferrerStats {
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
func (s *Store) refReferrerFacts(ctx context.Context, referrerID int64, programs []Eligibility) (map[int64]refFacts, error) {
	rows, err := s.query(ctx, `SELECT r.program_id, r.registered_at, r.qualified_at,
			p.status, p.amount_cents, p.batch_month
		FROM referrals r LEFT JOIN payouts p ON p.referral_id = r.id
		WHERE r.referrer_id = ?`, referrerID)
	if err != nil {
		return nil, fmt.Errorf("referrals of user %d: %w", referrerID, err)
	}
	defer rows.Close()
	out := make(map[int64]refFacts)
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
type refFriendRow struct {
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
func (s *Store) refFriendRows(ctx context.Context, referrerID int64, p Program, paging Paging, now time.Time) ([]FriendRow, error) {
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
	scanned := make([]refFriendRow, 0, paging.Limit())
	for res.Next() {
		var f refFriendRow
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
func (s *Store) refFriendProgress(ctx context.Context, me refUser, programs []Eligibility, now time.Time) (*FriendProgress, error) {
	if me.RefID == nil {
		return nil, nil
	}
	var p Program
	if i := slices.IndexFunc(programs, func(e Eligibility) bool { return e.Program.ID == *me.RefProgramID }); i >= 0 {
		p = programs[i].Program
	} else if err := s.db.WithContext(ctx).Take(&p, *me.RefProgramID).Error; err != nil {
		return nil, fmt.Errorf("program of referral %d: %w", *me.RefID, err)
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

// clickDays reads the clicks per day of invitations, from the invitation_clicks primary
// key: invitation id -> day -> clicks.
func (s *Store) refClickDays(ctx context.Context, invitationIDs []int64) (map[int64]map[string]int64, error) {
	// A prepared statement scanned with database/sql (see referrerFacts).
	args := make([]any, len(invitationIDs))
	for i, id := range invitationIDs {
		args[i] = id
	}
	rows, err := s.query(ctx, "SELECT invitation_id, day, clicks FROM invitation_clicks WHERE invitation_id IN "+inList(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("clicks per day of invitations %v: %w", invitationIDs, err)
	}
	defer rows.Close()
	out := make(map[int64]map[string]int64, len(invitationIDs))
	for rows.Next() {
		var (
			id, clicks int64
			day        string
		)
		if err := rows.Scan(&id, &day, &clicks); err != nil {
			return nil, fmt.Errorf("clicks per day of invitations %v: %w", invitationIDs, err)
		}
		if out[id] == nil {
			out[id] = make(map[string]int64, 64)
		}
		out[id][day] = clicks
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clicks per day of invitations %v: %w", invitationIDs, err)
	}
	return out, nil
}

// The session check on the dashboard builds the User from the columns it reads
// (dashboardScan.me): a field added to User must be read there too.
func TestTheDashboardSessionReadsEveryFieldOfTheUser(t *testing.T) {
	read := map[string]bool{"ID": true, "Role": true, "Email": true, "Name": true, "Country": true, "TopRated": true,
		"EmailOptOut": true, "UnsubscribedAt": true, "ClientAccountID": true, "PlusUntil": true, "SignupIP": true,
		"SessionVersion": true, "TOTPEnrolledAt": true, "TOTPLastStep": true, "DisabledAt": true, "CreatedAt": true, "UpdatedAt": true,
		// Secrets no page served with the session check needs.
		"PasswordHash": true, "TOTPSecret": true}
	typ := reflect.TypeOf(User{})
	for i := range typ.NumField() {
		if name := typ.Field(i).Name; !read[name] {
			t.Errorf("User.%s is not read by dashboardSQL and dashboardScan (models/dashboard_read.go)", name)
		}
	}
}
