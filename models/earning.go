package models

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// EarningStatus says whether an earning counted toward a referral.
type EarningStatus string

const (
	EarningCounted EarningStatus = "counted"
	EarningIgnored EarningStatus = "ignored"
)

// Earning is one event received from the marketplace, kept whether it counted or not so
// that a redelivery of the same external id is recognised (R7).
type Earning struct {
	ID              int64
	ExternalID      string
	FreelancerEmail string
	FreelancerID    *int64
	ReferralID      *int64
	// AmountCents is negative for a refund or reversal.
	AmountCents int64
	Currency    string
	Category    string
	ClientID    string
	OccurredAt  time.Time
	ReceivedAt  time.Time
	Status      EarningStatus
	Reason      string
	PayloadHash string
}

// Why an earning does not count (R6), and why an event is refused (R7). These are the
// reasons the API answers and the import reports.
const (
	ReasonNotReferredFriend  = "not a referred friend"
	ReasonOtherCategory      = "other category"
	ReasonBeforeRegistration = "before registration"
	ReasonAfterDeadline      = "after the deadline"
	ReasonProgramEnded       = "the program has ended"
	ReasonConflict           = "conflicting payload for a known id"
)

// Counts applies R6 to one earning: it counts toward r, a referral of p, when its
// freelancer is r's friend, its category is one of p's (in any letter case), and it
// occurred between the friend's registration and the deadline, both included. Refunds
// count like any other amount. Otherwise it says why not; r is nil when the freelancer
// was never referred.
//
// A program staff mark ended is over at once, deadline or not: nothing received while
// it is ended counts (whenever it occurred), so it creates no payout; payouts already
// created stay for review and payment.
func (p Program) Counts(r *Referral, e Earning) (bool, string) {
	switch {
	case r == nil || r.ProgramID != p.ID || e.FreelancerID == nil || *e.FreelancerID != r.FriendID:
		return false, ReasonNotReferredFriend
	case p.Status == ProgramEnded:
		return false, ReasonProgramEnded
	case !p.HasCategory(e.Category):
		return false, ReasonOtherCategory
	case e.OccurredAt.Before(r.RegisteredAt):
		return false, ReasonBeforeRegistration
	case e.OccurredAt.After(p.Deadline):
		return false, ReasonAfterDeadline
	}
	return true, ""
}

// EarningEvent is one earning as the marketplace reports it, through the API or a CSV
// row: not yet checked.
type EarningEvent struct {
	ID string
	// FreelancerEmail names the freelancer; FreelancerID (our user id, as the freelancer
	// upsert answers it) may stand for it. When both are given they must agree.
	FreelancerEmail string
	FreelancerID    int64
	AmountCents     int64
	Currency        string
	Category        string
	ClientID        string
	// OccurredAt is RFC 3339, or a date YYYY-MM-DD (see OccurredInstant).
	OccurredAt string
}

// EventStatus is the answer to one event.
type EventStatus string

const (
	// EventAccepted: stored and counted toward a referral.
	EventAccepted EventStatus = "accepted"
	// EventDuplicate: this id was received before with the same payload; nothing changed.
	EventDuplicate EventStatus = "duplicate"
	// EventIgnored: stored, but it does not count (the reason says why).
	EventIgnored EventStatus = "ignored"
	// EventRejected: not stored (invalid, or a known id with another payload).
	EventRejected EventStatus = "rejected"
)

// EventResult answers one event of a batch.
type EventResult struct {
	ID     string
	Status EventStatus
	Reason string
}

// Limits of an event's fields. MaxAmountCents ($1 billion) keeps every sum of a
// referral's earnings far from int64 overflow.
const (
	MaxEarningsBatch = 1000
	MaxAmountCents   = 100_000_000_000
	maxEventText     = 200
)

// checkedEarning is an event that passed validation, its text trimmed and its time read.
type checkedEarning struct {
	id           string
	email        string
	freelancerID int64
	amount       int64
	currency     string
	category     string
	clientID     string
	// at is the instant; for a date-only event it is zero and on holds the date.
	at time.Time
	on string
}

// check validates an event on its own (no database): every field present and
// well-formed, the amount non-zero, the currency USD. It returns the reason to reject.
func (e EarningEvent) check() (checkedEarning, string) {
	c := checkedEarning{
		id:           strings.TrimSpace(e.ID),
		email:        NormalizeEmail(e.FreelancerEmail),
		freelancerID: e.FreelancerID,
		amount:       e.AmountCents,
		currency:     strings.ToUpper(strings.TrimSpace(e.Currency)),
		category:     strings.TrimSpace(e.Category),
		clientID:     strings.TrimSpace(e.ClientID),
	}
	for _, f := range []struct{ name, value string }{
		{"id", c.id}, {"currency", c.currency}, {"category", c.category}, {"client_id", c.clientID},
	} {
		if reason := checkText(f.name, f.value); reason != "" {
			return c, reason
		}
	}
	switch {
	case c.email == "" && c.freelancerID == 0:
		return c, "freelancer_email is missing"
	case c.email != "" && ValidateEmail(c.email) != "":
		return c, "freelancer_email is not an email address"
	case c.freelancerID < 0:
		return c, "freelancer_id is not a user id"
	case c.amount == 0:
		return c, "amount is 0 or missing"
	case c.amount > MaxAmountCents || c.amount < -MaxAmountCents:
		return c, "amount is larger than $" + FormatDollars(MaxAmountCents)
	case c.currency != "USD":
		return c, fmt.Sprintf("unknown currency %q: only USD is accepted", c.currency)
	}
	var err error
	if c.at, c.on, err = ParseOccurredAt(e.OccurredAt); err != nil {
		return c, err.Error()
	}
	return c, ""
}

// checkText says what is wrong with a required text field, or "". Control characters
// (NUL among them, which PostgreSQL cannot store) and broken UTF-8 are refused.
func checkText(name, value string) string {
	switch {
	case value == "":
		return name + " is missing"
	case utf8.RuneCountInString(value) > maxEventText:
		return fmt.Sprintf("%s is longer than %d characters", name, maxEventText)
	case !utf8.ValidString(value) || strings.ContainsFunc(value, unicode.IsControl):
		return name + " contains control characters or is not UTF-8 text"
	}
	return ""
}

// ParseOccurredAt reads an event's time: RFC 3339 (returned as a UTC instant) or a date
// YYYY-MM-DD (returned as the date; see OccurredInstant). Years outside 1970-2999 are
// refused as mistakes (and keep every instant within the databases' time formats).
func ParseOccurredAt(s string) (at time.Time, date string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, "", fmt.Errorf("occurred_at is missing")
	}
	// A function, not a value: formatting the message for every event that is fine cost
	// more than parsing its time.
	bad := func() error {
		return fmt.Errorf("occurred_at %q is not a time like 2019-03-01T17:00:00Z (RFC 3339) or a date like 2019-03-01", s)
	}
	if len(s) == len(time.DateOnly) {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return time.Time{}, "", bad()
		}
		at, date = d, s
	} else if at, err = time.Parse(time.RFC3339Nano, s); err != nil {
		return time.Time{}, "", bad()
	}
	if y := at.UTC().Year(); y < 1970 || y > 2999 {
		return time.Time{}, "", fmt.Errorf("occurred_at %q is out of range (years 1970 to 2999)", s)
	}
	if date != "" {
		return time.Time{}, date, nil
	}
	return at.UTC(), "", nil
}

// OccurredInstant is when an event occurred. An event dated only by day counts for the
// whole of that day where the program lives: it stands for the last instant of that day
// in loc, as a deadline given as a day does. So an earning dated on the friend's sign-up
// day or on the deadline day counts.
func (c checkedEarning) OccurredInstant(loc *time.Location) time.Time {
	if c.on == "" {
		return c.at
	}
	t, _ := EndOfDay(c.on, loc) // c.on was parsed by ParseOccurredAt
	return t
}

// payloadHash identifies what an event says, so a redelivery can be told from a
// conflicting reuse of its id (R7). Differences that mean nothing under the rules
// (letter case of the email, the currency or the category, surrounding spaces, time
// zone offsets, freelancer_id standing for the email) give the same hash.
func (c checkedEarning) payloadHash(email string) string {
	occurred := c.on
	if occurred == "" {
		occurred = c.at.Format(time.RFC3339Nano)
	}
	// The JSON array json.Marshal([]any{...}) writes, written out by hand: the hashes
	// stored by earlier releases were made from those very bytes (TestPayloadHashIsStable).
	b := make([]byte, 0, 256)
	b = append(b, '[')
	b = appendJSONString(b, c.id)
	b = append(b, ',')
	b = appendJSONString(b, email)
	b = append(b, ',')
	b = strconv.AppendInt(b, c.amount, 10)
	b = append(b, ',')
	b = appendJSONString(b, c.currency)
	b = append(b, ',')
	b = appendJSONString(b, strings.ToLower(c.category))
	b = append(b, ',')
	b = appendJSONString(b, c.clientID)
	b = append(b, ',')
	b = appendJSONString(b, occurred)
	b = append(b, ']')
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// RecordEarnings applies a batch of events from the marketplace (R6, R7, R8) in one
// transaction and answers each event, in order. Counted earnings are added to their
// referrals' totals, and a referral whose total reaches the threshold qualifies, with
// exactly one payout pending review (see applyCounted).
func (s *Store) RecordEarnings(ctx context.Context, events []EarningEvent) ([]EventResult, error) {
	return s.RecordEarningsDelivery(ctx, Delivery{}, events)
}

// earningCandidate is a valid event on its way to the database.
type earningCandidate struct {
	index int
	row   Earning
}

// recordEarnings is the set-based core of RecordEarnings and ImportEarnings. Its cost
// is per batch, not per event. For each 1000 events: one SELECT of the freelancers by
// email (and one by id if any event names freelancer_id), one of their referrals, one
// multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING, and, when some ids were known
// already, one re-read of their payload hashes. Then once: the programs of those
// referrals; when something counted, one UPDATE of every affected referral's total
// (preceded on PostgreSQL by one ordered row lock); when some of them were qualified
// already, one read of their pending payouts (plus one update per payout whose
// below_threshold flag flips); and when referrals qualify, six statements plus one per
// email. A batch of 1000 new or redelivered events is 5 statements on SQLite, 6 on
// PostgreSQL (earning_cost_test.go pins this).
//
// Exactly-once comes from the database, not from Go: the unique external id decides
// which of concurrent deliveries stores an event (only rows this transaction inserted
// are added to totals), and the referral's row lock orders concurrent additions.
func (s *Store) recordEarnings(tx *gorm.DB, events []EarningEvent) ([]EventResult, error) {
	results := make([]EventResult, len(events))
	checked := make([]checkedEarning, len(events))
	valid := make([]int, 0, len(events))
	for i, e := range events {
		results[i].ID = e.ID
		c, reason := e.check()
		if reason != "" {
			results[i] = EventResult{ID: e.ID, Status: EventRejected, Reason: reason}
			continue
		}
		checked[i] = c
		valid = append(valid, i)
	}

	friends, err := s.loadFriends(tx, checked, valid)
	if err != nil {
		return nil, err
	}
	now := s.Now()

	// Resolve each valid event to its freelancer and referral and decide R6. Only the
	// first event with a given id is a candidate for storage; repeats are classified
	// against whatever the database keeps for that id.
	candidates := make([]earningCandidate, 0, len(valid))
	hashes := make([]string, len(events))
	first := map[string]bool{}
	for _, i := range valid {
		c := checked[i]
		u, reason := friends.resolve(c)
		if reason != "" {
			results[i] = EventResult{ID: events[i].ID, Status: EventRejected, Reason: reason}
			continue
		}
		row := Earning{
			ExternalID: c.id, FreelancerEmail: c.email, AmountCents: c.amount, Currency: c.currency,
			Category: c.category, ClientID: c.clientID, ReceivedAt: now,
		}
		var ref *Referral
		var p Program
		loc := time.UTC
		if u != nil {
			row.FreelancerEmail, row.FreelancerID = u.Email, &u.ID
			if ref = friends.referrals[u.ID]; ref != nil {
				p = friends.programs[ref.ProgramID]
				loc = p.Location()
			}
		}
		row.OccurredAt = c.OccurredInstant(loc)
		if counts, reason := p.Counts(ref, row); counts {
			row.Status, row.ReferralID = EarningCounted, &ref.ID
		} else {
			row.Status, row.Reason = EarningIgnored, reason
		}
		row.PayloadHash = c.payloadHash(row.FreelancerEmail)
		hashes[i] = row.PayloadHash
		if !first[c.id] {
			first[c.id] = true
			candidates = append(candidates, earningCandidate{index: i, row: row})
		}
	}

	inserted, stored, err := s.insertEarnings(tx, candidates)
	if err != nil {
		return nil, err
	}

	// Classify each valid event, and sum what this transaction counted per referral, in
	// batch order (applyCounted needs the order to find the threshold crossing).
	mine := map[int]*Earning{} // by event index: the rows this transaction inserted
	for k := range candidates {
		if id := candidates[k].row.ExternalID; inserted[id] {
			mine[candidates[k].index] = &candidates[k].row
			stored[id] = candidates[k].row.PayloadHash
		}
	}
	var deltas []referralDelta
	at := map[int64]int{}
	for _, i := range valid {
		if results[i].Status != "" {
			continue // rejected while resolving
		}
		row, ok := mine[i]
		switch {
		case ok && row.Status == EarningCounted:
			results[i].Status = EventAccepted
			if _, seen := at[*row.ReferralID]; !seen {
				at[*row.ReferralID] = len(deltas)
				deltas = append(deltas, referralDelta{id: *row.ReferralID, peak: math.MinInt64})
			}
			deltas[at[*row.ReferralID]].add(row)
		case ok:
			results[i].Status, results[i].Reason = EventIgnored, row.Reason
		case stored[checked[i].id] == hashes[i]:
			results[i].Status = EventDuplicate
		default:
			results[i].Status, results[i].Reason = EventRejected, ReasonConflict
		}
	}

	if err := s.applyCounted(tx, deltas, friends.programs); err != nil {
		return nil, err
	}
	return results, nil
}

// batchChunk bounds the rows of one statement: 1000 rows of 13 columns stay well under
// both databases' limits on bound parameters.
const batchChunk = 1000

// chunks calls fn on consecutive pieces of at most batchChunk items.
func chunks[T any](items []T, fn func([]T) error) error {
	for start := 0; start < len(items); start += batchChunk {
		if err := fn(items[start:min(start+batchChunk, len(items))]); err != nil {
			return err
		}
	}
	return nil
}

// findIn loads the rows whose column is one of keys, with one IN query per chunk of
// keys, selecting only the given columns (all when none).
func findIn[T any, K any](tx *gorm.DB, column string, keys []K, columns ...string) ([]T, error) {
	var rows []T
	err := chunks(keys, func(part []K) error {
		q := tx.Where(column+" IN ?", part)
		if len(columns) > 0 {
			q = q.Select(columns)
		}
		var found []T
		err := q.Find(&found).Error
		rows = append(rows, found...)
		return err
	})
	return rows, err
}

// distinct returns the keys sorted, each once.
func distinct[K cmp.Ordered](keys []K) []K {
	return slices.Compact(slices.Sorted(slices.Values(keys)))
}

// batchFriends is what a batch needs to know about its freelancers: the users, by email
// and by id, their referrals (a friend has at most one) and those referrals' programs.
type batchFriends struct {
	byEmail   map[string]*User
	byID      map[int64]*User
	referrals map[int64]*Referral // by friend id
	programs  map[int64]Program
}

// Finding a batch's freelancers with their referrals: one statement whatever the batch's
// size, its text fixed (PostgreSQL keeps it prepared), the keys given as one array parameter: a
// PostgreSQL array, a JSON array on SQLite. Those named by email and those named by id
// come from the two halves of a UNION ALL, each through its unique index; a freelancer
// named both ways comes twice, the same.
const (
	friendsColumns = "SELECT u.id, u.email, r.id, r.program_id, r.registered_at FROM users u LEFT JOIN referrals r ON r.friend_id = u.id "
	friendsPG      = friendsColumns + "WHERE u.email = ANY(CAST(? AS TEXT[])) UNION ALL " + friendsColumns + "WHERE u.id = ANY(CAST(? AS BIGINT[]))"
	friendsSQLite  = friendsColumns + "WHERE u.email IN (SELECT value FROM json_each(?)) UNION ALL " +
		friendsColumns + "WHERE u.id IN (SELECT value FROM json_each(?))"
)

// loadFriends looks up the freelancers of the valid events and their referrals in one
// statement, and then, when some have a referral, those referrals' programs.
func (s *Store) loadFriends(tx *gorm.DB, checked []checkedEarning, valid []int) (batchFriends, error) {
	f := batchFriends{byEmail: map[string]*User{}, byID: map[int64]*User{}, referrals: map[int64]*Referral{}, programs: map[int64]Program{}}
	emails := make([]string, 0, len(valid))
	var ids []int64
	for _, i := range valid {
		if e := checked[i].email; e != "" {
			emails = append(emails, e)
		}
		if id := checked[i].freelancerID; id != 0 {
			ids = append(ids, id)
		}
	}
	emails, ids = distinct(emails), distinct(ids)
	if len(emails) == 0 && len(ids) == 0 {
		return f, nil
	}
	query, emailArg, idArg := friendsPG, any(emails), any(ids)
	if s.dialect == SQLite {
		query, emailArg, idArg = friendsSQLite, string(appendJSONStrings(nil, emails)), string(appendJSONInts(nil, ids))
	} else if ids == nil {
		idArg = []int64{}
	}
	rows, err := s.txQuery(tx, query, emailArg, idArg)
	if err != nil {
		return f, fmt.Errorf("find the batch's freelancers: %w", err)
	}
	var programIDs []int64
	err = s.scanAll(tx, rows, func(rows *sql.Rows) error {
		var (
			u          User
			refID, pID sql.NullInt64
			registered exprTime
		)
		if err := rows.Scan(&u.ID, &u.Email, &refID, &pID, &registered); err != nil {
			return err
		}
		if f.byID[u.ID] != nil {
			return nil // named by email and by id
		}
		f.byEmail[u.Email], f.byID[u.ID] = &u, &u
		if refID.Valid && registered.Time != nil {
			f.referrals[u.ID] = &Referral{ID: refID.Int64, ProgramID: pID.Int64, FriendID: u.ID, RegisteredAt: *registered.Time}
			programIDs = append(programIDs, pID.Int64)
		}
		return nil
	})
	if err != nil {
		return f, fmt.Errorf("find the batch's freelancers: %w", err)
	}
	if len(programIDs) == 0 {
		return f, nil
	}
	var programs []Program
	if err := tx.Where("id IN ?", distinct(programIDs)).Find(&programs).Error; err != nil {
		return f, err
	}
	for _, p := range programs {
		f.programs[p.ID] = p
	}
	return f, nil
}

// appendJSONStrings appends the JSON array of ss.
func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, v := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

// appendJSONInts appends the JSON array of ns.
func appendJSONInts(b []byte, ns []int64) []byte {
	b = append(b, '[')
	for i, n := range ns {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return append(b, ']')
}

// appendJSONString appends s as encoding/json writes it, byte for byte (payload hashes
// stored by earlier releases depend on it, see payloadHash): plain printable ASCII as
// it is, anything else through encoding/json itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// resolve finds the freelancer an event names: nil for an email we do not know (the
// earning is then simply not a referred friend's). An unknown freelancer_id, or one
// that disagrees with the email, is a reason to reject.
func (f batchFriends) resolve(c checkedEarning) (*User, string) {
	var u *User
	if c.freelancerID != 0 {
		if u = f.byID[c.freelancerID]; u == nil {
			return nil, fmt.Sprintf("unknown freelancer_id %d", c.freelancerID)
		}
		if c.email != "" && c.email != u.Email {
			return nil, "freelancer_id and freelancer_email name different freelancers"
		}
		return u, ""
	}
	return f.byEmail[c.email], ""
}

// insertEarnings stores the candidates, sorted by external id so that concurrent batches
// meet on the unique index in one order (no deadlock), with one statement: on PostgreSQL
// an INSERT ... SELECT FROM unnest of one array per column (its text fixed, kept
// prepared, whatever the batch's size), on SQLite one multi-row INSERT. It reports
// which ids this transaction inserted and, for the others, the payload hash already
// stored (one more statement, only when some ids were known).
func (s *Store) insertEarnings(tx *gorm.DB, cands []earningCandidate) (inserted map[string]bool, stored map[string]string, err error) {
	inserted, stored = make(map[string]bool, len(cands)), map[string]string{}
	if len(cands) == 0 {
		return inserted, stored, nil
	}
	rows := make([]*Earning, len(cands))
	for i := range cands {
		rows[i] = &cands[i].row
	}
	slices.SortFunc(rows, func(a, b *Earning) int { return strings.Compare(a.ExternalID, b.ExternalID) })
	// ON CONFLICT DO NOTHING RETURNING says which rows a statement inserted: a known
	// id, or one a concurrent batch inserted first (the index waits for it), is skipped.
	// One statement on PostgreSQL whatever the number; on SQLite one per 1000 rows (an
	// import may be larger than an API batch), within its limit of bound parameters.
	store := func(query string, args []any) error {
		res, err := s.txQuery(tx, query, args...)
		if err != nil {
			return err
		}
		return s.scanAll(tx, res, func(r *sql.Rows) error {
			var id string
			err := r.Scan(&id)
			inserted[id] = true
			return err
		})
	}
	if s.dialect == Postgres {
		err = store(insertEarningsPG(rows))
	} else {
		err = chunks(rows, func(part []*Earning) error { return store(insertEarningsSQLite(part)) })
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store earnings: %w", err)
	}
	if len(inserted) == len(rows) {
		return inserted, stored, nil
	}
	var known []string
	for _, r := range rows {
		if !inserted[r.ExternalID] {
			known = append(known, r.ExternalID)
		}
	}
	cond, arg := s.inStrings("external_id", known)
	res, err := s.txQuery(tx, "SELECT external_id, payload_hash FROM earnings WHERE "+cond, arg)
	if err == nil {
		err = s.scanAll(tx, res, func(r *sql.Rows) error {
			var id, hash string
			err := r.Scan(&id, &hash)
			stored[id] = hash
			return err
		})
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read known earnings: %w", err)
	}
	for _, id := range known {
		if _, ok := stored[id]; !ok {
			return nil, nil, fmt.Errorf("earning %q was neither inserted nor found", id)
		}
	}
	return inserted, stored, nil
}

// earningsInsert is the start of the statement that stores earnings.
const earningsInsert = "INSERT INTO earnings (external_id, freelancer_email, freelancer_id, referral_id, amount_cents, currency, " +
	"category, client_id, occurred_at, received_at, status, reason, payload_hash) "

// insertEarningsPG is the PostgreSQL statement that stores rows: one array per column,
// unnested in order (WITH ORDINALITY keeps the sorted order the rows are inserted in).
// Every row of a batch shares its received_at.
func insertEarningsPG(rows []*Earning) (string, []any) {
	n := len(rows)
	var (
		ids, emails, currencies, categories, clients, statuses, reasons, hashes = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		freelancers, referrals = make([]*int64, n), make([]*int64, n)
		amounts                = make([]int64, n)
		occurred               = make([]time.Time, n)
	)
	for i, r := range rows {
		ids[i], emails[i], freelancers[i], referrals[i], amounts[i], currencies[i] = r.ExternalID, r.FreelancerEmail, r.FreelancerID, r.ReferralID, r.AmountCents, r.Currency
		categories[i], clients[i], occurred[i], statuses[i], reasons[i], hashes[i] = r.Category, r.ClientID, r.OccurredAt, string(r.Status), r.Reason, r.PayloadHash
	}
	return earningsInsert + "SELECT e.x, e.em, e.f, e.r, e.a, e.cu, e.ca, e.cl, e.o, CAST(? AS TIMESTAMPTZ), e.s, e.re, e.h " +
			"FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]), " +
			"CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TIMESTAMPTZ[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[])) " +
			"WITH ORDINALITY AS e(x, em, f, r, a, cu, ca, cl, o, s, re, h, n) ORDER BY e.n " +
			"ON CONFLICT (external_id) DO NOTHING RETURNING external_id",
		[]any{rows[0].ReceivedAt, ids, emails, freelancers, referrals, amounts, currencies, categories, clients, occurred, statuses, reasons, hashes}
}

// insertEarningsSQLite is the SQLite statement that stores rows: one multi-row INSERT
// (13 parameters a row: a batch of 1000 stays under SQLite's 32,766).
func insertEarningsSQLite(rows []*Earning) (string, []any) {
	args := make([]any, 0, len(rows)*13)
	for _, r := range rows {
		var freelancerID, referralID any
		if r.FreelancerID != nil {
			freelancerID = *r.FreelancerID
		}
		if r.ReferralID != nil {
			referralID = *r.ReferralID
		}
		args = append(args, r.ExternalID, r.FreelancerEmail, freelancerID, referralID, r.AmountCents, r.Currency,
			r.Category, r.ClientID, r.OccurredAt, r.ReceivedAt, string(r.Status), r.Reason, r.PayloadHash)
	}
	return earningsInsert + "VALUES " + placeholders(len(rows), slices.Repeat([]string{"?"}, 13)...) +
		" ON CONFLICT (external_id) DO NOTHING RETURNING external_id", args
}

// placeholders writes n rows of bound parameters for a multi-row VALUES list, each row
// made of the given column expressions: placeholders(2, "?", "?") is "(?, ?), (?, ?)".
func placeholders(n int, cols ...string) string {
	row := "(" + strings.Join(cols, ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// sortByID orders a batch's referral deltas by referral id: the order rows are locked in.
func sortByID(deltas []referralDelta) {
	slices.SortFunc(deltas, func(a, b referralDelta) int { return cmp.Compare(a.id, b.id) })
}

// EarningsFile is a checked earnings CSV: the events of its readable rows in file order,
// with the line each came from, and the rows it could not read.
type EarningsFile struct {
	Name   string
	Events []EarningEvent
	Lines  []int
	Bad    BadRows
}

// ImportSummary is what an applied import did.
type ImportSummary struct {
	Rows       int
	Accepted   int
	Duplicates int
	Ignored    int
	// IgnoredBy counts the ignored rows by reason, the most frequent first.
	IgnoredBy []ReasonCount
}

// ReasonCount is how many rows were ignored for one reason.
type ReasonCount struct {
	Reason string
	Count  int
}

// ImportEarnings applies a checked earnings file with the rules of RecordEarnings, all or
// nothing: in one transaction, and when any row is bad (unreadable, file.Bad, or refused
// by the rules, such as a known id with another payload) nothing is applied and every
// bad row comes back at once, in line order, as BadRows. Duplicates are counted, not
// refused. The import is audited (R14).
func (s *Store) ImportEarnings(ctx context.Context, actor Actor, file EarningsFile) (ImportSummary, error) {
	if err := actor.may(ImportEarnings); err != nil {
		return ImportSummary{}, err
	}
	var sum ImportSummary
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		// Applied even when some rows are bad already, to find every row the rules refuse;
		// the bad rows then roll it all back.
		results, err := s.recordEarnings(tx, file.Events)
		if err != nil {
			return err
		}
		sum = ImportSummary{Rows: len(results) + len(file.Bad)}
		bad := slices.Clone(file.Bad)
		ignored := map[string]int{}
		for i, r := range results {
			switch r.Status {
			case EventAccepted:
				sum.Accepted++
			case EventDuplicate:
				sum.Duplicates++
			case EventIgnored:
				sum.Ignored++
				ignored[r.Reason]++
			case EventRejected:
				bad = append(bad, RowError{Line: file.Lines[i], Reason: r.Reason})
			}
		}
		if len(bad) > 0 {
			slices.SortStableFunc(bad, func(a, b RowError) int { return cmp.Compare(a.Line, b.Line) })
			return bad // rolls back everything
		}
		for reason, n := range ignored {
			sum.IgnoredBy = append(sum.IgnoredBy, ReasonCount{reason, n})
		}
		slices.SortFunc(sum.IgnoredBy, func(a, b ReasonCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Reason, b.Reason))
		})
		return s.audit(tx, actor, "earnings.import", file.Name, map[string]any{
			"rows": sum.Rows, "accepted": sum.Accepted, "duplicates": sum.Duplicates, "ignored": sum.Ignored,
		})
	})
	if err != nil {
		return ImportSummary{}, err
	}
	return sum, nil
}
