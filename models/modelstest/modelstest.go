// Package modelstest runs tests against real databases: each test gets a fresh, migrated
// SQLite file and a fresh, migrated PostgreSQL database, and a clock it controls.
//
// PostgreSQL comes from TEST_DATABASE_URL (default: the local server at 127.0.0.1:5432,
// user postgres). A package using EachDB calls Run from its TestMain. When the server is
// unreachable the PostgreSQL half is skipped with a loud warning, unless
// REQUIRE_POSTGRES=1 (as in CI), where it fails.
package modelstest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"referrals/jobs"
	"referrals/models"
	"referrals/views"
)

// BaseURL is the address tests' emails and links use.
const BaseURL = "http://referrals.test"

// SessionSecret is the session secret of tests: it keys their signed links.
var SessionSecret = []byte("test-session-secret-0123456789abcdef")

// Emails writes out emails as a process serving BaseURL with SessionSecret does.
func Emails(t testing.TB) views.Emails {
	t.Helper()
	e, err := views.NewEmails(BaseURL, "", SessionSecret)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Clock is a test clock: it stands still until told to move.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t.UTC()} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// DB is one fresh test database.
type DB struct {
	Store *models.Store
	Clock *Clock
	// URL is the DATABASE_URL of this database ("" for SQLite, whose file is in DataDir).
	URL     string
	DataDir string
}

// Start is where test clocks start: in the original program's season.
var Start = time.Date(2019, 3, 1, 17, 0, 0, 0, time.UTC)

// postgres holds the template database every PostgreSQL test database is copied from.
type postgres struct {
	adminURL string
	template string
	err      error
}

var (
	pgOnce sync.Once
	pg     postgres
)

// sqliteTemplate is a migrated SQLite file every SQLite test database is copied from,
// made once per test binary: migrating the app's and River's tables for every test
// would triple the cost of a fresh database.
type sqliteTemplate struct {
	dir  string
	path string // the migrated file, in dir
	err  error
}

var (
	sqliteOnce sync.Once
	sqliteTmpl sqliteTemplate
)

// setupSQLite migrates the template file and closes it, leaving the whole database in
// the one file (closing the last connection checkpoints and removes the WAL).
func setupSQLite() {
	dir, err := os.MkdirTemp("", "referrals_tmpl_")
	if err != nil {
		sqliteTmpl.err = err
		return
	}
	sqliteTmpl.dir = dir
	ctx := context.Background()
	queue, err := jobs.NewQueue(models.SQLite)
	if err != nil {
		sqliteTmpl.err = err
		return
	}
	store, err := models.Open(ctx, models.Options{DataDir: dir, Jobs: queue})
	if err != nil {
		sqliteTmpl.err = err
		return
	}
	sqliteTmpl.path = store.SQLitePath()
	if _, err := store.Migrate(ctx); err != nil {
		sqliteTmpl.err = err
	}
	if err := store.Close(); err != nil && sqliteTmpl.err == nil {
		sqliteTmpl.err = err
	}
}

func adminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// withDatabase returns base with its database name replaced.
func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// setupPostgres creates and migrates the template database, once per test binary.
func setupPostgres() {
	pg.adminURL = adminURL()
	admin, err := sql.Open("pgx", pg.adminURL)
	if err != nil {
		pg.err = err
		return
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		pg.err = fmt.Errorf("PostgreSQL at %s is unreachable: %w", pg.adminURL, err)
		return
	}
	pg.template = randomName("referrals_tmpl_")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pg.template); err != nil {
		pg.err = err
		return
	}
	queue, err := jobs.NewQueue(models.Postgres)
	if err != nil {
		pg.err = err
		return
	}
	store, err := models.Open(ctx, models.Options{DatabaseURL: withDatabase(pg.adminURL, pg.template), Jobs: queue})
	if err != nil {
		pg.err = err
		return
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		pg.err = err
	}
}

// dropDatabase removes a test database, ending any connection still open to it.
func dropDatabase(name string) error {
	admin, err := sql.Open("pgx", pg.adminURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	_, err = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	return err
}

// Run runs a package's tests and then drops the PostgreSQL template. Call it from
// TestMain: func TestMain(m *testing.M) { os.Exit(modelstest.Run(m)) }.
func Run(m *testing.M) int {
	code := m.Run()
	if sqliteTmpl.dir != "" {
		os.RemoveAll(sqliteTmpl.dir)
	}
	if pg.template != "" {
		if err := dropDatabase(pg.template); err != nil {
			fmt.Fprintln(os.Stderr, "modelstest: drop template:", err)
		}
	}
	if pg.err != nil {
		fmt.Fprintf(os.Stderr, "\n!!! PostgreSQL tests were SKIPPED: %v\n!!! Start PostgreSQL or set TEST_DATABASE_URL; CI sets REQUIRE_POSTGRES=1.\n\n", pg.err)
	}
	return code
}

// EachDB runs fn as two subtests, "sqlite" and "postgres", each on a fresh database.
func EachDB(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a fresh, migrated SQLite database for t, copied from the template.
func SQLite(t testing.TB) *DB {
	t.Helper()
	sqliteOnce.Do(setupSQLite)
	if sqliteTmpl.err != nil {
		t.Fatalf("SQLite template: %v", sqliteTmpl.err)
	}
	dir := t.TempDir()
	b, err := os.ReadFile(sqliteTmpl.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, filepath.Base(sqliteTmpl.path)), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return open(t, "", dir)
}

// Postgres opens a fresh, migrated PostgreSQL database for t, copied from the template.
func Postgres(t testing.TB) *DB {
	t.Helper()
	pgOnce.Do(setupPostgres)
	if pg.err != nil {
		if os.Getenv("REQUIRE_POSTGRES") == "1" {
			t.Fatalf("REQUIRE_POSTGRES=1 but %v", pg.err)
		}
		t.Skipf("PostgreSQL unavailable, skipping: %v", pg.err)
	}
	name := randomName("referrals_test_")
	admin, err := sql.Open("pgx", pg.adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name + " TEMPLATE " + pg.template); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := dropDatabase(name); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	return open(t, withDatabase(pg.adminURL, name), "")
}

func open(t testing.TB, databaseURL, dataDir string) *DB {
	t.Helper()
	clock := NewClock(Start)
	ctx := context.Background()
	dialect, err := models.DialectOf(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := jobs.NewQueue(dialect)
	if err != nil {
		t.Fatal(err)
	}
	store, err := models.Open(ctx, models.Options{
		DatabaseURL: databaseURL,
		DataDir:     dataDir,
		Clock:       clock,
		Jobs:        queue,
		// Webhook receivers in tests listen on loopback.
		AllowPrivateWebhooks: true,
	})
	if err != nil {
		t.Fatalf("open database: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return &DB{Store: store, Clock: clock, URL: databaseURL, DataDir: dataDir}
}

// Count returns the number of rows of table matching where (SQL, with ? placeholders).
func (db *DB) Count(t testing.TB, table, where string, args ...any) int64 {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + table
	if where != "" {
		q += " WHERE " + where
	}
	if db.Store.Dialect() == models.Postgres {
		q = numberPlaceholders(q)
	}
	var n int64
	if err := db.Store.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// WrittenEmail is an email of the outbox with the content its sender writes out.
type WrittenEmail struct {
	Email   models.Email
	Content models.EmailContent
}

// WrittenEmails are the outbox emails matching where (SQL with ? placeholders; "" for
// all), in the order they were queued, written out as a process serving BaseURL sends
// them (emails are kept as facts until then).
func (db *DB) WrittenEmails(t testing.TB, where string, args ...any) []WrittenEmail {
	t.Helper()
	q := "SELECT id FROM emails"
	if where != "" {
		q += " WHERE " + where
	}
	q += " ORDER BY id"
	if db.Store.Dialect() == models.Postgres {
		q = numberPlaceholders(q)
	}
	rows, err := db.Store.DB().Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	var out []WrittenEmail
	for _, id := range ids {
		e, err := db.Store.OutboxEmail(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.Store.WriteEmail(context.Background(), e, Emails(t))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, WrittenEmail{Email: e, Content: c})
	}
	return out
}

// CountWritten counts the emails matching where whose written-out content satisfies ok.
func (db *DB) CountWritten(t testing.TB, ok func(WrittenEmail) bool, where string, args ...any) int {
	t.Helper()
	n := 0
	for _, e := range db.WrittenEmails(t, where, args...) {
		if ok(e) {
			n++
		}
	}
	return n
}

// Exec runs a statement written with ? placeholders on either database.
func (db *DB) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if db.Store.Dialect() == models.Postgres {
		query = numberPlaceholders(query)
	}
	if _, err := db.Store.DB().Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// QueryRow runs a query written with ? placeholders and scans its one row into dest.
func (db *DB) QueryRow(t testing.TB, query string, dest []any, args ...any) {
	t.Helper()
	if db.Store.Dialect() == models.Postgres {
		query = numberPlaceholders(query)
	}
	if err := db.Store.DB().QueryRow(query, args...).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// InsertID runs an INSERT (with ? placeholders) and returns the new row's id.
func (db *DB) InsertID(t testing.TB, q string, args ...any) int64 {
	t.Helper()
	var id int64
	db.QueryRow(t, q+" RETURNING id", []any{&id}, args...)
	return id
}

// numberPlaceholders turns ? into $1, $2, ... for PostgreSQL.
func numberPlaceholders(q string) string {
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
