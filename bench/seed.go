package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"referrals/models"
)

// scale is how much data a benchmark database holds. Scale 1 is the stated size:
// 100,000 freelancers of whom 20,000 are invited referrers, 200,000 referred friends
// (accounts of their own, so 300,000 users in all), 200,000 referrals, 1,000,000
// earnings and 10,000 approved payouts (plus 2,000 pending review).
type scale struct {
	Freelancers int
	Referrers   int
	Friends     int
	Earnings    int // 5 per friend
	Approved    int
	Pending     int
}

func newScale(f float64) scale {
	n := func(x float64) int { return max(1, int(x*f)) }
	return scale{
		Freelancers: n(100_000),
		Referrers:   n(20_000),
		Friends:     n(200_000),
		Earnings:    n(200_000) * 5,
		Approved:    n(10_000),
		Pending:     n(2_000),
	}
}

// oldestPending is the friend whose payout has waited longest for review: the first
// of the review queue.
func (sc scale) oldestPending() int {
	oldest := sc.Approved
	for i := sc.Approved; i < sc.Approved+sc.Pending; i++ {
		if i%signupMinutes < oldest%signupMinutes {
			oldest = i
		}
	}
	return oldest
}

// benchPassword is every bench account's password.
const benchPassword = "bench-password"

// benchTOTPSecret is the bench admin's two-factor secret (base32).
const benchTOTPSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// Bench accounts are found by their email pattern.
func referrerEmail(i int) string { return fmt.Sprintf("referrer%d@bench.test", i) }
func friendEmail(i int) string   { return fmt.Sprintf("friend%d@bench.test", i) }

const adminEmail = "admin@bench.test"

// personName is the i-th of 2,500 plausible names, so pages look like real ones.
func personName(i int) string {
	first := []string{"Maria", "James", "Aisha", "Wei", "Carlos", "Olivia", "Noah", "Priya", "Liam", "Sofia",
		"Mateo", "Emma", "Yusuf", "Chloe", "Daniel", "Hana", "Lucas", "Amara", "Ethan", "Zoe",
		"Omar", "Grace", "Diego", "Mia", "Samuel", "Leila", "Jack", "Nora", "Ravi", "Ella",
		"Tomas", "Ava", "Kenji", "Isla", "Felix", "Lena", "Hugo", "Maya", "Ivan", "Ruby",
		"Arjun", "Lily", "Elias", "Sara", "Leo", "Anna", "Kofi", "Julia", "Theo", "Nina"}
	last := []string{"Garcia", "Smith", "Khan", "Chen", "Lopez", "Johnson", "Nguyen", "Patel", "Brown", "Rossi",
		"Silva", "Miller", "Okafor", "Martin", "Kim", "Tanaka", "Müller", "Davis", "Cohen", "Wilson",
		"Haddad", "Taylor", "Moreno", "Anderson", "Novak", "Thomas", "Sato", "Moore", "Singh", "Clark",
		"Dubois", "Lewis", "Ivanova", "Walker", "Hansen", "Young", "Costa", "King", "Mensah", "Wright",
		"Fischer", "Scott", "Ortiz", "Green", "Berg", "Baker", "Reyes", "Adams", "Kowalski", "Hill"}
	return first[i%len(first)] + " " + last[(i/len(first))%len(last)]
}

// The seed's calendar, relative to the run's start so the data is current: the program
// began 80 days ago and ends in 60; friends signed up from 70 to 60 days ago, earned once
// a day for five days, and those who qualified were decided on the 15th of last month.
type calendar struct {
	now, accounts, programStart, invited, signupsFrom, deadline, decided time.Time
}

func newCalendar(now time.Time) calendar {
	lastMonth := time.Date(now.Year(), now.Month()-1, 15, 18, 0, 0, 0, time.UTC)
	return calendar{
		now:          now,
		accounts:     now.AddDate(-1, 0, 0),
		programStart: now.AddDate(0, 0, -80),
		invited:      now.AddDate(0, 0, -75),
		signupsFrom:  now.AddDate(0, 0, -70),
		deadline:     now.AddDate(0, 0, 60),
		decided:      lastMonth,
	}
}

// signupMinutes is how many minutes sign-ups are spread over: ten days.
const signupMinutes = 14_400

// signedUp is when friend i signed up: a minute after friend i-1, over ten days.
func (c calendar) signedUp(i int) time.Time {
	return c.signupsFrom.Add(time.Duration(i%signupMinutes) * time.Minute).Truncate(time.Millisecond)
}

// payMonth is the month whose batch the bench pays: the one the seed approved into.
func payMonth(now time.Time) string { return newCalendar(now).decided.Format("2006-01") }

// inserter writes rows with multi-row INSERT statements of up to 1000 rows (fewer when a
// row has many columns, to stay under SQLite's 32,766 bound parameters), in the
// placeholder style of the database, one transaction per table.
type inserter struct {
	db      *sql.DB
	dialect models.Dialect
}

func (in inserter) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	chunk := min(1000, 32_000/len(cols))
	tx, err := in.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Every full chunk runs one prepared statement: the database parses it once.
	var full *sql.Stmt
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		args := make([]any, 0, len(part)*len(cols))
		for _, row := range part {
			args = append(args, row...)
		}
		if len(part) < chunk {
			if _, err := tx.ExecContext(ctx, in.statement(table, cols, len(part)), args...); err != nil {
				return fmt.Errorf("insert into %s: %w", table, err)
			}
			continue
		}
		if full == nil {
			if full, err = tx.PrepareContext(ctx, in.statement(table, cols, chunk)); err != nil {
				return fmt.Errorf("insert into %s: %w", table, err)
			}
			defer full.Close()
		}
		if _, err := full.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return tx.Commit()
}

// statement is the INSERT of n rows into table.
func (in inserter) statement(table string, cols []string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
	p := 0
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteString(", ")
			}
			p++
			if in.dialect == models.Postgres {
				fmt.Fprintf(&b, "$%d", p)
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// inviteCode makes the i-th unique code in the invite alphabet.
func inviteCode(i int) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := []byte("BENCH00000")
	for p := len(b) - 1; p >= 5 && i > 0; p-- {
		b[p] = alphabet[i%32]
		i /= 32
	}
	return string(b)
}

// seed fills a migrated, empty database at scale sc, with times relative to now. It
// writes rows directly (the rules are not under test here, the reads and writes of the
// product are), keeping every constraint of the schema and every invariant the rules
// keep: a referral's counted total is the sum of its counted earnings, exactly the
// referrals at or over the threshold are qualified, and each qualified one has a payout.
func seed(ctx context.Context, db *sql.DB, dialect models.Dialect, sc scale, now time.Time) error {
	in := inserter{db: db, dialect: dialect}
	cal := newCalendar(now)
	hash, err := models.HashPassword(benchPassword)
	if err != nil {
		return err
	}

	userCols := []string{"id", "role", "email", "name", "password_hash", "country", "top_rated", "email_opt_out", "signup_ip", "session_version", "created_at", "updated_at"}
	var users [][]any
	id := 1
	users = append(users, []any{id, "owner", adminEmail, "Bench Admin", hash, "US", false, false, "", 1, cal.accounts, cal.accounts})
	for i := range sc.Freelancers {
		id++
		// The referrers are Top Rated in the U.S.; of the others, some are not Top
		// Rated and some live in Canada.
		topRated := i < sc.Referrers || i%3 == 0
		country := "US"
		if i >= sc.Referrers && i%5 == 0 {
			country = "CA"
		}
		users = append(users, []any{id, "freelancer", referrerEmail(i), personName(i), hash, country, topRated, false, "", 1, cal.accounts, cal.accounts})
	}
	friendBase := id + 1
	for i := range sc.Friends {
		id++
		at := cal.signedUp(i)
		users = append(users, []any{id, "freelancer", friendEmail(i), personName(i*7 + 3), hash, "US", false, false,
			fmt.Sprintf("198.51.100.%d", i%250+1), 1, at, at})
	}
	if err := in.insert(ctx, "users", userCols, users); err != nil {
		return err
	}
	// Staff sign in with a TOTP code: the admin is enrolled with a known secret.
	if _, err := in.db.ExecContext(ctx, "UPDATE users SET totp_secret = '"+benchTOTPSecret+"', totp_enrolled_at = CURRENT_TIMESTAMP WHERE id = 1"); err != nil {
		return err
	}
	users = nil

	if _, err := db.ExecContext(ctx, placeholders(dialect, `INSERT INTO programs (id, slug, name, categories, threshold_cents, reward_cents, deadline,
		time_zone, countries, requires_top_rated, perk_months, payout_business_days, reminder_days, status, created_at, updated_at)
		VALUES (1, 'customer-service', 'Customer Service referrals', '["Customer Service"]', 50000, 10000, ?, 'America/Los_Angeles', '["US"]', TRUE, 1, 5, 7, 'active', ?, ?)`),
		cal.deadline, cal.programStart, cal.programStart); err != nil {
		return fmt.Errorf("program: %w", err)
	}

	// Every invitation was clicked every other day since it was sent, one to five times a
	// day: about 40 days of clicks each (800,000 day counters at scale 1), so the
	// dashboard's activity chart reads as many rows as it will late in a program.
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		return err
	}
	var invs, clickDays [][]any
	for i := range sc.Referrers {
		total := 0
		for d := 0; !cal.invited.AddDate(0, 0, d).After(now); d += 2 {
			n := 1 + (i+d)%5
			total += n
			clickDays = append(clickDays, []any{i + 1, cal.invited.AddDate(0, 0, d).In(la).Format("2006-01-02"), n})
		}
		invs = append(invs, []any{i + 1, 1, i + 2, inviteCode(i + 1), cal.invited, total})
	}
	if err := in.insert(ctx, "invitations", []string{"id", "program_id", "referrer_id", "code", "invited_at", "clicks"}, invs); err != nil {
		return err
	}
	if err := in.insert(ctx, "invitation_clicks", []string{"invitation_id", "day", "clicks"}, clickDays); err != nil {
		return err
	}
	clickDays = nil

	// Friend i is referred by referrer i mod Referrers. The first Approved+Pending
	// friends qualified ($110 x 5 = $550); the others earned less than $500.
	qualified := sc.Approved + sc.Pending
	perFriend := earningsPerFriend(sc)
	var refs, payouts [][]any
	for i := range sc.Friends {
		refID, referrer := i+1, i%sc.Referrers
		signedUp := cal.signedUp(i)
		total, status, qualifiedAt := int64(0), "earning", any(nil)
		for k := range perFriend {
			total += earningAmount(i, k, qualified)
		}
		if i < qualified {
			// Qualified by the last earning; approved into last month's batch, or pending.
			at := earnedAt(signedUp, perFriend-1)
			status, qualifiedAt = "qualified", at
			if i < sc.Approved {
				payouts = append(payouts, []any{i + 1, refID, 1, referrer + 2, 10000, "approved", "[]", 1, cal.decided, "", cal.decided.Format("2006-01"), at})
			} else {
				flags := "[]"
				if i%3 == 0 {
					flags = `["fast"]`
				}
				payouts = append(payouts, []any{i + 1, refID, 1, referrer + 2, 10000, "pending_review", flags, nil, nil, "", nil, at})
			}
		}
		refs = append(refs, []any{refID, 1, referrer + 1, referrer + 2, friendBase + i, signedUp, total, status, qualifiedAt})
	}
	if err := in.insert(ctx, "referrals", []string{"id", "program_id", "invitation_id", "referrer_id", "friend_id", "registered_at", "counted_cents", "status", "qualified_at"}, refs); err != nil {
		return err
	}
	refs = nil
	if err := in.insert(ctx, "payouts", []string{"id", "referral_id", "program_id", "referrer_id", "amount_cents", "status", "flags", "decided_by", "decided_at", "reject_reason", "batch_month", "created_at"}, payouts); err != nil {
		return err
	}
	cols := []string{"external_id", "freelancer_email", "freelancer_id", "referral_id", "amount_cents", "currency", "category", "client_id", "occurred_at", "received_at", "status", "reason", "payload_hash"}
	var earns [][]any
	for i := range sc.Friends {
		signedUp := cal.signedUp(i)
		for k := range perFriend {
			at := earnedAt(signedUp, k)
			earns = append(earns, []any{fmt.Sprintf("seed_%d_%d", i, k), friendEmail(i), friendBase + i, i + 1, earningAmount(i, k, qualified),
				"USD", "Customer Service", fmt.Sprintf("cl_%d", (i+k)%997), at, at, "counted", "", "seed"})
		}
		if len(earns) >= 100_000 || i == sc.Friends-1 {
			if err := in.insert(ctx, "earnings", cols, earns); err != nil {
				return err
			}
			earns = earns[:0]
		}
	}
	if err := seedAdminHistory(ctx, in, sc, cal); err != nil {
		return err
	}
	if dialect == models.Postgres {
		// Rows were written with explicit ids: move the identity sequences past them.
		for _, table := range []string{"users", "programs", "invitations", "referrals", "earnings", "payouts"} {
			q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT MAX(id) FROM %s))", table, table)
			if _, err := db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("sequence of %s: %w", table, err)
			}
		}
		// What autovacuum would have done by the time a real database had this much
		// data: statistics for the planner and the visibility map for index-only scans.
		if _, err := db.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			return err
		}
	}
	// SQLite gets no ANALYZE: the product runs on whatever statistics it keeps itself.
	return nil
}

func earningsPerFriend(sc scale) int { return max(1, sc.Earnings/sc.Friends) }

// earnedAt is when a friend who signed up at signedUp made their k-th earning: a day
// apart, the first a day after signing up.
func earnedAt(signedUp time.Time, k int) time.Time {
	return signedUp.Add(time.Duration(k+1) * 24 * time.Hour)
}

// earningAmount is the k-th earning of friend i: $110 for the friends who qualified, so
// five make $550, and $20.00 to $89.99 for the others, who stay under $500.
func earningAmount(i, k, qualified int) int64 {
	if i < qualified {
		return 11000
	}
	return int64(2000 + (i*7+k*13)%7000)
}

// placeholders rewrites ? into $1, $2, ... for PostgreSQL.
func placeholders(dialect models.Dialect, q string) string {
	if dialect != models.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
