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

// benchPassword is every bench account's password.
const benchPassword = "bench-password"

// Bench accounts are found by their email pattern.
func referrerEmail(i int) string { return fmt.Sprintf("referrer%d@bench.test", i) }
func friendEmail(i int) string   { return fmt.Sprintf("friend%d@bench.test", i) }

const adminEmail = "admin@bench.test"

// payMonth is the month whose batch the bench pays: the previous calendar month.
func payMonth(now time.Time) string {
	return now.AddDate(0, -1, 0).Format("2006-01")
}

// inserter writes rows with multi-row INSERT statements, 1000 rows at a time, in the
// placeholder style of the database.
type inserter struct {
	db      *sql.DB
	dialect models.Dialect
}

func (in inserter) insert(ctx context.Context, table string, cols []string, rows [][]any) error {
	const chunk = 1000
	tx, err := in.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for start := 0; start < len(rows); start += chunk {
		part := rows[start:min(start+chunk, len(rows))]
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
		args := make([]any, 0, len(part)*len(cols))
		for i, row := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j := range row {
				if j > 0 {
					b.WriteString(", ")
				}
				if in.dialect == models.Postgres {
					fmt.Fprintf(&b, "$%d", len(args)+1)
				} else {
					b.WriteByte('?')
				}
				args = append(args, row[j])
			}
			b.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return tx.Commit()
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
// writes rows directly (the rules are not under test here, the reads are), keeping every
// constraint of the schema.
func seed(ctx context.Context, db *sql.DB, dialect models.Dialect, sc scale, now time.Time) error {
	in := inserter{db: db, dialect: dialect}
	hash, err := models.HashPassword(benchPassword)
	if err != nil {
		return err
	}
	registered := now.AddDate(0, 0, -40)
	deadline := now.AddDate(0, 0, 60)

	userCols := []string{"id", "role", "email", "name", "password_hash", "country", "top_rated", "email_opt_out", "signup_ip", "session_version", "created_at", "updated_at"}
	var users [][]any
	id := 1
	users = append(users, []any{id, "admin", adminEmail, "Bench Admin", hash, "US", false, false, "", 1, registered, registered})
	for i := range sc.Freelancers {
		id++
		topRated := i < sc.Referrers || i%3 == 0
		country := "US"
		if i >= sc.Referrers && i%5 == 0 {
			country = "CA"
		}
		users = append(users, []any{id, "freelancer", referrerEmail(i), fmt.Sprintf("Freelancer %d", i), hash, country, topRated, false, "", 1, registered, registered})
	}
	friendBase := id + 1
	for i := range sc.Friends {
		id++
		users = append(users, []any{id, "freelancer", friendEmail(i), fmt.Sprintf("Friend %d", i), hash, "US", false, false, "198.51.100.1", 1, registered, registered})
	}
	if err := in.insert(ctx, "users", userCols, users); err != nil {
		return err
	}
	users = nil

	if _, err := db.ExecContext(ctx, placeholders(dialect, `INSERT INTO programs (id, slug, name, categories, threshold_cents, reward_cents, deadline,
		time_zone, countries, requires_top_rated, perk_months, payout_business_days, reminder_days, status, created_at, updated_at)
		VALUES (1, 'customer-service', 'Customer Service referrals', '["Customer Service"]', 50000, 10000, ?, 'America/Los_Angeles', '["US"]', TRUE, 1, 5, 7, 'active', ?, ?)`),
		deadline, registered, registered); err != nil {
		return fmt.Errorf("program: %w", err)
	}

	var invs [][]any
	for i := range sc.Referrers {
		invs = append(invs, []any{i + 1, 1, i + 2, inviteCode(i + 1), registered, 3})
	}
	if err := in.insert(ctx, "invitations", []string{"id", "program_id", "referrer_id", "code", "invited_at", "clicks"}, invs); err != nil {
		return err
	}

	// Friend i is referred by referrer i mod Referrers. The first Approved+Pending
	// friends qualified ($110 x 5 = $550); the others earned less than $500.
	qualified := sc.Approved + sc.Pending
	var refs, payouts [][]any
	for i := range sc.Friends {
		refID, referrer := i+1, i%sc.Referrers
		total, status, qualifiedAt := int64(0), "earning", any(nil)
		for k := range earningsPerFriend(sc) {
			total += earningAmount(i, k, qualified)
		}
		if i < qualified {
			status, qualifiedAt = "qualified", registered.Add(6*24*time.Hour)
		}
		refs = append(refs, []any{refID, 1, referrer + 1, referrer + 2, friendBase + i, registered, total, status, qualifiedAt})
		switch {
		case i < sc.Approved:
			payouts = append(payouts, []any{i + 1, refID, 1, referrer + 2, 10000, "approved", "[]", 1, now.AddDate(0, -1, 0), "", payMonth(now), registered.Add(6 * 24 * time.Hour)})
		case i < qualified:
			payouts = append(payouts, []any{i + 1, refID, 1, referrer + 2, 10000, "pending_review", `["fast"]`, nil, nil, "", nil, registered.Add(6 * 24 * time.Hour)})
		}
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
		for k := range earningsPerFriend(sc) {
			at := registered.Add(time.Duration(k+1) * 24 * time.Hour)
			earns = append(earns, []any{fmt.Sprintf("seed_%d_%d", i, k), friendEmail(i), friendBase + i, i + 1, earningAmount(i, k, qualified),
				"USD", "Customer Service", fmt.Sprintf("cl_%d", (i+k)%997), at, at, "counted", "", "seed"})
		}
		if len(earns) >= 50_000 || i == sc.Friends-1 {
			if err := in.insert(ctx, "earnings", cols, earns); err != nil {
				return err
			}
			earns = earns[:0]
		}
	}
	if dialect == models.Postgres {
		// Rows were written with explicit ids: move the identity sequences past them.
		for _, table := range []string{"users", "programs", "invitations", "referrals", "earnings", "payouts"} {
			q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT MAX(id) FROM %s))", table, table)
			if _, err := db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("sequence of %s: %w", table, err)
			}
		}
		if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
			return err
		}
	} else if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		return err
	}
	return nil
}

func earningsPerFriend(sc scale) int { return max(1, sc.Earnings/sc.Friends) }

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
