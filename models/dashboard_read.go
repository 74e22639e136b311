package models

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// The dashboard is the page referrers load most, and each signed-in request checks the
// session's user first. Both are one statement per request: the user (with the referral
// that brought them) and, when their session is current, every program the dashboard
// shows with the invitation, the referrals' counts and credits, the clicks per day and
// one page of friends, the lists packed as JSON (PostgreSQL's json_agg, SQLite's
// json_group_array) or as plain "day:clicks" text.
//
// It goes under gorm to the pool's *sql.DB (gorm still owns the pool) and scans into
// typed values, parsing the packed lists with a small reader instead of reflection:
// measured under load (issue 15), the dashboard's five statements, gorm's statement
// building and reflective scans, and the separate session lookup were half of the
// server's CPU per dashboard, and each statement cost PostgreSQL a round trip of its own.
// bench-compare (see the commit that made it) gives the figures.

// Dashboard reads the dashboard of freelancer userID: the open programs and every
// program they were invited to (closed ones too, so they keep seeing their friends and
// credits), open programs first by deadline, then the rest, latest deadline first. A
// referred friend is not shown the programs they were not invited to: their dashboard is
// their own progress, not a list of what they cannot do.
//
// It is one statement whatever the number of friends or clicks, scoped by the
// freelancer's id (R15).
func (s *Store) Dashboard(ctx context.Context, userID int64, q DashboardQuery) (Dashboard, error) {
	_, d, err := s.readDashboard(ctx, userID, 0, q)
	if err != nil {
		return Dashboard{}, err
	}
	return *d, nil
}

// SessionDashboard reads, in one statement, user userID for the session check and, when
// their session version is still version and they are a freelancer, their dashboard (as
// Dashboard does). d is nil when the session is not current or the user is staff: the
// caller signs the session out or sends staff elsewhere, as for any page. An unknown
// user is ErrNotFound.
func (s *Store) SessionDashboard(ctx context.Context, userID, version int64, q DashboardQuery) (User, *Dashboard, error) {
	if version == 0 {
		return User{}, nil, ErrNotFound // versions start at 1; 0 would mean any
	}
	return s.readDashboard(ctx, userID, version, q)
}

// readDashboard is the one statement; version 0 reads the dashboard whatever the
// session version and role.
func (s *Store) readDashboard(ctx context.Context, userID, version int64, q DashboardQuery) (User, *Dashboard, error) {
	st, err := s.prepared(ctx, dashboardSQL(s.dialect))
	if err != nil {
		return User{}, nil, fmt.Errorf("dashboard of user %d: %w", userID, err)
	}
	selected := q.Paging.normalized()
	rows, err := st.QueryContext(ctx, userID, version, q.Program, selected.Limit(), selected.Offset(), Paging{}.Limit())
	if err != nil {
		return User{}, nil, fmt.Errorf("dashboard of user %d: %w", userID, err)
	}
	defer rows.Close()
	now := s.Now()
	var (
		me       dashboardMe
		found    bool
		programs []dashboardProgram
		refProg  *Program
	)
	for rows.Next() {
		var r dashboardScan
		if err := rows.Scan(r.targets()...); err != nil {
			return User{}, nil, fmt.Errorf("dashboard of user %d: %w", userID, err)
		}
		if !found {
			me, found = r.me(), true
		}
		if !r.pID.Valid {
			continue // no program: the user's row alone
		}
		dp, err := s.decodeProgram(&r, userID, q, now)
		if err != nil {
			return User{}, nil, fmt.Errorf("dashboard of user %d, program %d: %w", userID, r.pID.Int64, err)
		}
		if me.refProgramID.Valid && dp.Program.ID == me.refProgramID.Int64 {
			p := dp.Program
			refProg = &p
		}
		if r.shown.Bool {
			programs = append(programs, dp)
		}
	}
	if err := rows.Err(); err != nil {
		return User{}, nil, fmt.Errorf("dashboard of user %d: %w", userID, err)
	}
	if !found {
		return User{}, nil, ErrNotFound
	}
	if version != 0 && (me.user.SessionVersion != version || me.user.IsStaff()) {
		return me.user, nil, nil
	}
	d := assembleDashboard(me, programs, refProg, now)
	return me.user, &d, nil
}

// dashboardProgram is one program row of the statement, decoded.
type dashboardProgram struct {
	Eligibility
	facts   referralFacts
	clicks  []dayClicks
	friends []FriendRow
}

// dashboardMe is the user with the referral that brought them, if one did.
type dashboardMe struct {
	user            User
	refID           sql.NullInt64
	refProgramID    sql.NullInt64
	refRegisteredAt sqlTime
	refCountedCents int64
	refStatus       string
	referrerName    string
}

// assembleDashboard applies the rules to what the statement read: which programs are
// shown and in what order, eligibility (R1), stats, activity and the friend's progress.
func assembleDashboard(me dashboardMe, programs []dashboardProgram, refProg *Program, now time.Time) Dashboard {
	d := Dashboard{User: me.user}
	slices.SortFunc(programs, func(a, b dashboardProgram) int {
		ao, bo := a.Program.Open(now), b.Program.Open(now)
		if ao != bo {
			if ao {
				return -1
			}
			return 1
		}
		if ao {
			return cmp.Or(a.Program.Deadline.Compare(b.Program.Deadline), cmp.Compare(a.Program.ID, b.Program.ID))
		}
		return cmp.Or(b.Program.Deadline.Compare(a.Program.Deadline), cmp.Compare(a.Program.ID, b.Program.ID))
	})
	for _, dp := range programs {
		p, inv := dp.Program, dp.Invitation
		if inv == nil && (!p.Open(now) || me.refID.Valid) {
			continue // a closed program is news only to those who took part; a friend's own progress says enough
		}
		pd := ProgramDashboard{Eligibility: CheckEligibility(me.user, p, inv), Open: p.Open(now)}
		if inv != nil {
			f := dp.facts
			pd.Stats = f.stats(p, inv.Clicks, now)
			pd.Activity = buildActivity(p, now, dp.clicks, f.signedUp, f.qualified)
			pd.Friends = newPage(dp.friends, f.signUps, f.paging)
		}
		d.Programs = append(d.Programs, pd)
	}
	if me.refID.Valid && refProg != nil {
		p := *refProg
		r := Referral{ID: me.refID.Int64, ProgramID: p.ID, RegisteredAt: me.refRegisteredAt.t, CountedCents: me.refCountedCents, Status: ReferralStatus(me.refStatus)}
		stage := ReferralStatusFor(r, nil, p, now)
		d.Friend = &FriendProgress{
			Program:           p,
			ReferrerFirstName: FirstName(me.referrerName),
			RegisteredAt:      r.RegisteredAt,
			CountedCents:      r.CountedCents,
			Reached:           stage == StageQualified,
			Expired:           stage == StageExpired,
			PlusUntil:         me.user.PlusUntil,
		}
	}
	return d
}

// referralFacts are what a referrer's referrals in one program add up to: the counts and
// credits of their stats, and when each friend signed up and qualified, for the activity
// chart (placing an instant on the program's calendar takes its time zone, which SQLite
// does not have, so that is done here).
type referralFacts struct {
	signUps, qualifiedCount int64
	credits                 CreditPipeline
	signedUp, qualified     []time.Time
	// paging is the page of friends read.
	paging Paging
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

// dashboardSQLs holds the statement per dialect, written once.
var dashboardSQLs sync.Map // Dialect -> string

// dashboardSQL is the dashboard's statement for dialect d. Parameters: 1 the user, 2 the
// session version (0: any, and staff too), 3 the program whose friends are paged, 4 and 5
// that page's limit and offset, 6 the other programs' page size.
//
// Each program row carries four packed lists, read only for programs the user holds an
// invitation to (CASE evaluates the one branch it takes on both databases):
//   - facts: [sign-ups, qualified, [signed-up instants], [qualified instants]], from the
//     referrals (referrer_id, program_id, ...) index
//   - credits: [in review ¢, approved ¢, paid ¢, latest approved batch month], from the
//     payouts (referrer_id) index
//   - days: "YYYY-MM-DD:clicks,..." from the invitation_clicks primary key
//   - friends: one page, newest sign-up first (the referrals (referrer_id, program_id,
//     registered_at) index serves the order and the limit), each [referral id, name,
//     registered, counted ¢, status, qualified, first earning, payout id, payout status,
//     reject reason, batch month, decided, paid]
//
// Instants are microseconds since 1970 on PostgreSQL (no text to parse) and SQLite's
// stored text.
func dashboardSQL(d Dialect) string {
	if q, ok := dashboardSQLs.Load(d); ok {
		return q.(string)
	}
	arr, agg, strAgg := "json_array", "json_group_array", "group_concat"
	param := func(n int) string { return fmt.Sprintf("?%d", n) }
	t := func(col string) string { return col }
	// A bound parameter used as such in LIMIT or OFFSET makes SQLite compile the
	// statement anew at every run (it may plan with the value, so each new binding expires
	// the statement); written as an expression it is just read. Measured: 0.6 ms against
	// 0.2 ms per dashboard read.
	num := func(n int) string { return param(n) + " + 0" }
	// A friend's payout, by the payouts (referral_id) key. PostgreSQL hash-joined the
	// whole payouts table for a page of friends (it guessed the table small: a sequential
	// scan of every payout per dashboard); a LATERAL subquery it cannot flatten (LIMIT 1,
	// the key is unique anyway) makes it one index probe per friend, as SQLite does.
	payoutOf := "LEFT JOIN payouts po ON po.referral_id = q.id"
	if d == Postgres {
		payoutOf = `LEFT JOIN LATERAL (SELECT po.id, po.status, po.reject_reason, po.batch_month, po.decided_at, po.paid_at
				FROM payouts po WHERE po.referral_id = q.id LIMIT 1) po ON true`
	}
	if d == Postgres {
		arr, agg, strAgg = "json_build_array", "json_agg", "string_agg"
		param = func(n int) string { return fmt.Sprintf("$%d", n) }
		num = param
		t = func(col string) string { return "(EXTRACT(EPOCH FROM " + col + ") * 1000000)::bigint" }
	}
	friends := func(limit string) string {
		return `(SELECT ` + agg + `(` + arr + `(q.id, fu.name, ` + t("q.registered_at") + `, q.counted_cents, q.status, ` + t("q.qualified_at") + `,
				(SELECT ` + t("MIN(e.occurred_at)") + ` FROM earnings e WHERE e.referral_id = q.id),
				po.id, po.status, po.reject_reason, po.batch_month, ` + t("po.decided_at") + `, ` + t("po.paid_at") + `)
				ORDER BY q.registered_at DESC, q.id DESC)
			FROM (SELECT q.id, q.friend_id, q.registered_at, q.counted_cents, q.status, q.qualified_at FROM referrals q
				WHERE q.referrer_id = u.id AND q.program_id = p.id
				ORDER BY q.registered_at DESC, q.id DESC ` + limit + `) q
			JOIN users fu ON fu.id = q.friend_id
			` + payoutOf + `)`
	}
	q := `SELECT u.id, u.role, u.email, u.name, u.country, u.top_rated, u.email_opt_out, u.unsubscribed_at, u.client_account_id, u.plus_until,
		u.signup_ip, u.session_version, u.totp_enrolled_at, u.totp_last_step, u.disabled_at, u.created_at, u.updated_at,
		r.id, r.program_id, r.registered_at, r.counted_cents, r.status, ru.name,
		p.id, p.slug, p.name, p.categories, p.threshold_cents, p.reward_cents, p.deadline, p.time_zone, p.countries,
		p.requires_top_rated, p.perk_months, p.payout_business_days, p.reminder_days, p.status, p.created_at, p.updated_at,
		i.id, i.code, i.invited_at, i.reminded_at, i.clicks,
		(p.status = 'active' OR (p.status <> 'draft' AND i.id IS NOT NULL)),
		CASE WHEN i.id IS NOT NULL THEN (SELECT ` + arr + `(COUNT(*), COUNT(q.qualified_at),
				` + agg + `(` + t("q.registered_at") + `),
				` + agg + `(` + t("q.qualified_at") + `) FILTER (WHERE q.qualified_at IS NOT NULL))
			FROM referrals q WHERE q.referrer_id = u.id AND q.program_id = p.id) END,
		CASE WHEN i.id IS NOT NULL THEN (SELECT ` + arr + `(
				COALESCE(SUM(po.amount_cents) FILTER (WHERE po.status = 'pending_review'), 0),
				COALESCE(SUM(po.amount_cents) FILTER (WHERE po.status = 'approved'), 0),
				COALESCE(SUM(po.amount_cents) FILTER (WHERE po.status = 'paid'), 0),
				MAX(po.batch_month) FILTER (WHERE po.status = 'approved'))
			FROM payouts po WHERE po.referrer_id = u.id AND po.program_id = p.id) END,
		CASE WHEN i.id IS NOT NULL THEN (SELECT ` + strAgg + `(ic.day || ':' || ic.clicks, ',')
			FROM invitation_clicks ic WHERE ic.invitation_id = i.id) END,
		CASE WHEN i.id IS NULL THEN NULL
			WHEN p.slug = ` + param(3) + ` THEN ` + friends("LIMIT "+num(4)+" OFFSET "+num(5)) + `
			ELSE ` + friends("LIMIT "+num(6)) + ` END
	FROM users u
	LEFT JOIN referrals r ON r.friend_id = u.id
	LEFT JOIN users ru ON ru.id = r.referrer_id
	LEFT JOIN (programs p LEFT JOIN invitations i ON i.program_id = p.id AND i.referrer_id = ` + param(1) + `)
		ON (u.session_version = ` + param(2) + ` AND u.role = 'freelancer' OR ` + param(2) + ` = 0)
		AND (p.status = 'active' OR (p.status <> 'draft' AND i.id IS NOT NULL) OR p.id = r.program_id)
	WHERE u.id = ` + param(1)
	dashboardSQLs.Store(d, q)
	return q
}

// dashboardScan is one row of the statement as scanned.
type dashboardScan struct {
	uID, uSessionVersion, uTOTPLastStep                                               int64
	uRole, uEmail, uName, uCountry, uSignupIP                                         string
	uTopRated, uEmailOptOut                                                           bool
	uClientAccountID                                                                  sql.NullString
	uPlusUntil, uTOTPEnrolledAt, uDisabledAt, uCreatedAt, uUpdatedAt, uUnsubscribedAt sqlTime
	rID, rProgramID, rCountedCents                                                    sql.NullInt64
	rRegisteredAt                                                                     sqlTime
	rStatus, referrerName                                                             sql.NullString
	pID, pThreshold, pReward, pPerkMonths, pPayoutDays, pReminderDays                 sql.NullInt64
	pSlug, pName, pTimeZone, pStatus                                                  sql.NullString
	pCategories, pCountries                                                           sql.RawBytes
	pDeadline, pCreatedAt, pUpdatedAt                                                 sqlTime
	pRequiresTopRated                                                                 sql.NullBool
	iID, iClicks                                                                      sql.NullInt64
	iCode                                                                             sql.NullString
	iInvitedAt, iRemindedAt                                                           sqlTime
	shown                                                                             sql.NullBool
	facts, credits, days, friends                                                     sql.RawBytes
}

func (r *dashboardScan) targets() []any {
	return []any{&r.uID, &r.uRole, &r.uEmail, &r.uName, &r.uCountry, &r.uTopRated, &r.uEmailOptOut, &r.uUnsubscribedAt, &r.uClientAccountID, &r.uPlusUntil,
		&r.uSignupIP, &r.uSessionVersion, &r.uTOTPEnrolledAt, &r.uTOTPLastStep, &r.uDisabledAt, &r.uCreatedAt, &r.uUpdatedAt,
		&r.rID, &r.rProgramID, &r.rRegisteredAt, &r.rCountedCents, &r.rStatus, &r.referrerName,
		&r.pID, &r.pSlug, &r.pName, &r.pCategories, &r.pThreshold, &r.pReward, &r.pDeadline, &r.pTimeZone, &r.pCountries,
		&r.pRequiresTopRated, &r.pPerkMonths, &r.pPayoutDays, &r.pReminderDays, &r.pStatus, &r.pCreatedAt, &r.pUpdatedAt,
		&r.iID, &r.iCode, &r.iInvitedAt, &r.iRemindedAt, &r.iClicks,
		&r.shown, &r.facts, &r.credits, &r.days, &r.friends}
}

// me is the user of the row. The password hash and the TOTP secret are not read: no
// page a session check serves needs them.
func (r *dashboardScan) me() dashboardMe {
	u := User{
		ID: r.uID, Role: Role(r.uRole), Email: r.uEmail, Name: r.uName, Country: r.uCountry, TopRated: r.uTopRated,
		EmailOptOut: r.uEmailOptOut, UnsubscribedAt: r.uUnsubscribedAt.ptr(), PlusUntil: r.uPlusUntil.ptr(), SignupIP: r.uSignupIP, SessionVersion: r.uSessionVersion,
		TOTPEnrolledAt: r.uTOTPEnrolledAt.ptr(), TOTPLastStep: r.uTOTPLastStep, DisabledAt: r.uDisabledAt.ptr(),
		CreatedAt: r.uCreatedAt.t, UpdatedAt: r.uUpdatedAt.t,
	}
	if r.uClientAccountID.Valid {
		id := r.uClientAccountID.String
		u.ClientAccountID = &id
	}
	return dashboardMe{user: u, refID: r.rID, refProgramID: r.rProgramID, refRegisteredAt: r.rRegisteredAt,
		refCountedCents: r.rCountedCents.Int64, refStatus: r.rStatus.String, referrerName: r.referrerName.String}
}

// decodeProgram turns a program row into its program, invitation and lists.
func (s *Store) decodeProgram(r *dashboardScan, userID int64, q DashboardQuery, now time.Time) (dashboardProgram, error) {
	p := Program{
		ID: r.pID.Int64, Slug: r.pSlug.String, Name: r.pName.String, Categories: jsonLists.get(r.pCategories),
		ThresholdCents: r.pThreshold.Int64, RewardCents: r.pReward.Int64, Deadline: r.pDeadline.t, TimeZone: r.pTimeZone.String,
		Countries: jsonLists.get(r.pCountries), RequiresTopRated: r.pRequiresTopRated.Bool, PerkMonths: int(r.pPerkMonths.Int64),
		PayoutBusinessDays: int(r.pPayoutDays.Int64), ReminderDays: int(r.pReminderDays.Int64), Status: ProgramStatus(r.pStatus.String),
		CreatedAt: r.pCreatedAt.t, UpdatedAt: r.pUpdatedAt.t,
	}
	dp := dashboardProgram{Eligibility: Eligibility{Program: p}}
	if !r.iID.Valid {
		return dp, nil
	}
	dp.Invitation = &Invitation{ID: r.iID.Int64, ProgramID: p.ID, ReferrerID: userID, Code: r.iCode.String,
		InvitedAt: r.iInvitedAt.t, RemindedAt: r.iRemindedAt.ptr(), Clicks: r.iClicks.Int64}
	var err error
	if dp.facts, err = s.decodeFacts(r.facts, r.credits, p); err != nil {
		return dp, fmt.Errorf("facts: %w", err)
	}
	if q.Program == p.Slug {
		dp.facts.paging = q.Paging
	}
	if dp.clicks, err = decodeDays(r.days); err != nil {
		return dp, fmt.Errorf("clicks: %w", err)
	}
	if dp.friends, err = s.decodeFriends(r.friends, p, dp.facts.paging, now); err != nil {
		return dp, fmt.Errorf("friends: %w", err)
	}
	return dp, nil
}

// decodeFacts reads the facts and credits lists (see dashboardSQL).
func (s *Store) decodeFacts(facts, credits []byte, p Program) (referralFacts, error) {
	var f referralFacts
	j := packedReader{b: facts}
	if !j.open() {
		return f, j.fail()
	}
	f.signUps, f.qualifiedCount = j.int(), j.int()
	f.signedUp = j.times(int(f.signUps))
	f.qualified = j.times(int(f.qualifiedCount))
	if !j.close() {
		return f, j.fail()
	}
	j = packedReader{b: credits}
	if !j.open() {
		return f, j.fail()
	}
	f.credits.InReviewCents, f.credits.ApprovedCents, f.credits.PaidCents = j.int(), j.int(), j.int()
	// The latest batch's due date: approved credits are paid by then at the latest.
	if month := j.str(); month != "" && f.credits.ApprovedCents != 0 {
		if due, err := s.dues.due(p, month); err == nil {
			f.credits.ApprovedPayBy, f.credits.latestMonth = &due, month
		}
	}
	if !j.close() {
		return f, j.fail()
	}
	return f, nil
}

// decodeFriends reads the friends list (see dashboardSQL) as the referrer sees it.
func (s *Store) decodeFriends(b []byte, p Program, paging Paging, now time.Time) ([]FriendRow, error) {
	j := packedReader{b: b}
	rows := make([]FriendRow, 0, min(paging.Limit(), 64))
	if j.null() {
		return rows, nil
	}
	if !j.open() {
		return nil, j.fail()
	}
	for j.more() {
		if !j.open() {
			return nil, j.fail()
		}
		f := FriendRow{ReferralID: j.int(), FriendName: j.str()}
		f.RegisteredAt = j.time()
		f.CountedCents = j.int()
		status := ReferralStatus(j.enum(referralStatuses))
		f.QualifiedAt = j.timePtr()
		f.FirstEarningAt = j.timePtr()
		hasPayout := !j.null()
		if hasPayout {
			j.int()
		}
		payoutStatus := PayoutStatus(j.enum(payoutStatuses))
		f.RejectReason = j.str()
		f.BatchMonth = j.str()
		f.DecidedAt = j.timePtr()
		f.PaidAt = j.timePtr()
		if !j.close() {
			return nil, j.fail()
		}
		var payout *Payout
		if hasPayout {
			payout = &Payout{Status: payoutStatus}
		}
		f.Stage = ReferralStatusFor(Referral{Status: status, CountedCents: f.CountedCents}, payout, p, now)
		if f.Stage == StageApproved && f.BatchMonth != "" {
			if due, err := s.dues.due(p, f.BatchMonth); err == nil {
				f.PayBy = &due
			}
		}
		rows = append(rows, f)
	}
	if !j.close() || j.err != nil {
		return nil, j.fail()
	}
	return rows, nil
}

// The statuses a list holds, so that reading one takes no allocation.
var (
	referralStatuses = []string{string(ReferralRegistered), string(ReferralEarning), string(ReferralQualified)}
	payoutStatuses   = []string{string(PayoutPendingReview), string(PayoutApproved), string(PayoutRejected), string(PayoutPaid)}
)

// dayClicks is one day's clicks, the day as a dayNumber.
type dayClicks struct {
	day    int
	clicks int64
}

// decodeDays reads "YYYY-MM-DD:clicks,..." (NULL or empty: none).
func decodeDays(b []byte) ([]dayClicks, error) {
	if len(b) == 0 {
		return nil, nil
	}
	out := make([]dayClicks, 0, 1+len(b)/14)
	for len(b) > 0 {
		item := b
		if i := indexByte(b, ','); i >= 0 {
			item, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(item) < 12 || item[10] != ':' {
			return nil, fmt.Errorf("clicks %q", item)
		}
		day, ok := parseDayNumber(item[:10])
		n, ok2 := atoi(item[11:])
		if !ok || !ok2 {
			return nil, fmt.Errorf("clicks %q", item)
		}
		out = append(out, dayClicks{day, n})
	}
	return out, nil
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// atoi reads a decimal integer, possibly negative, with no allocation.
func atoi[S ~string | ~[]byte](s S) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// sqlTime scans a time column: a time from PostgreSQL, and from SQLite a time or, when
// the column comes out of an expression with no declared type, its stored text.
type sqlTime struct {
	t     time.Time
	valid bool
}

func (s *sqlTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*s = sqlTime{}
	case time.Time:
		*s = sqlTime{v.UTC(), true}
	case string:
		t, err := parseStoredTime(v)
		*s = sqlTime{t, err == nil}
		return err
	case []byte:
		t, err := parseStoredTime(v)
		*s = sqlTime{t, err == nil}
		return err
	default:
		return fmt.Errorf("read time from %T", v)
	}
	return nil
}

func (s sqlTime) ptr() *time.Time {
	if !s.valid {
		return nil
	}
	t := s.t
	return &t
}

// parseStoredTime reads a time as SQLite stores it ("2006-01-02 15:04:05.000" in UTC,
// read without time.Parse), or as RFC 3339.
func parseStoredTime[S ~string | ~[]byte](s S) (time.Time, error) {
	if len(s) == len(sqliteTimeFormat) && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':' && s[19] == '.' {
		y, ok1 := atoi(s[0:4])
		mo, ok2 := atoi(s[5:7])
		d, ok3 := atoi(s[8:10])
		h, ok4 := atoi(s[11:13])
		mi, ok5 := atoi(s[14:16])
		sec, ok6 := atoi(s[17:19])
		ms, ok7 := atoi(s[20:23])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 {
			return time.Date(int(y), time.Month(mo), int(d), int(h), int(mi), int(sec), int(ms)*int(time.Millisecond), time.UTC), nil
		}
	}
	var e exprTime
	if err := e.Scan(string(s)); err != nil {
		return time.Time{}, err
	}
	return *e.Time, nil
}

// jsonLists remembers the decoded JSON lists of programs (categories, countries) by
// their text: a handful of programs name a handful of lists.
var jsonLists = &listCache{lists: map[string][]string{}}

type listCache struct {
	mu    sync.RWMutex
	lists map[string][]string
}

// get is the list b holds. The slice is shared: readers only.
func (c *listCache) get(b []byte) []string {
	c.mu.RLock()
	l, ok := c.lists[string(b)] // no allocation for the lookup
	c.mu.RUnlock()
	if ok {
		return l
	}
	j := packedReader{b: b}
	if j.null() || !j.open() {
		return nil
	}
	l = []string{}
	for j.more() {
		l = append(l, j.str())
	}
	if !j.close() || j.err != nil {
		return nil
	}
	l = slices.Clip(l)
	c.mu.Lock()
	if len(c.lists) > 1000 {
		clear(c.lists)
	}
	c.lists[string(b)] = l
	c.mu.Unlock()
	return l
}

// trimmed is s without surrounding spaces (for error messages).
func trimmed(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return s
}
