// Package models is the referral program's domain: the gorm types, the rules R1-R15 of
// docs/rules.md as plain functions, and the Store that applies them to the database atomically.
//
// Correctness under concurrency comes from the database (unique constraints, conditional
// updates, INSERT ... ON CONFLICT DO NOTHING), never from Go locks, so every rule holds the
// same on the embedded SQLite database and on PostgreSQL, with one instance or several.
package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/gormlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the database a Store runs on.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Clock tells the time. The Store reads time only through it, so tests can live in 2019.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now().UTC() }

// Options configure Open.
type Options struct {
	// DatabaseURL selects the database: empty means the embedded SQLite file
	// DataDir/referrals.db; postgres://... means PostgreSQL.
	DatabaseURL string
	DataDir     string
	// MaxConns bounds the PostgreSQL pool; zero picks a size for a small machine.
	MaxConns int
	Clock    Clock
	// Jobs is the background job queue kept in the same database (package jobs). The
	// Store migrates its tables with its own and queues a delivery job with each email,
	// in the transaction that queues the email. Nil queues no jobs and migrates no job
	// tables: for tools that never queue email.
	Jobs Jobs
	// AllowPrivateWebhooks lets webhook endpoints be private, loopback or link-local
	// addresses, over plain http too (WEBHOOK_ALLOW_PRIVATE=1: development and tests).
	AllowPrivateWebhooks bool
	// LogQueries logs every SQL statement (development only).
	LogQueries bool
	// StatementTimeout, when positive, makes PostgreSQL stop any statement running
	// longer (statement_timeout, set on every connection): a backstop behind the
	// requests' own deadlines, for the server. Migrations and the operator's commands
	// leave it unset. SQLite has no such setting; there, deadlines interrupt queries.
	StatementTimeout time.Duration
}

// Jobs is what the Store needs of the background job queue. Package jobs implements it
// with River; the models see only this much of it, so the rules stay free of the job
// engine while every job is still inserted in the transaction of the change that causes it.
type Jobs interface {
	// Migrate brings the queue's own tables in db up to date and reports how many
	// migrations it applied.
	Migrate(ctx context.Context, db *sql.DB) (int, error)
	// Pending reports whether the queue's tables in db lack migrations.
	Pending(ctx context.Context, db *sql.DB) (bool, error)
	// EnqueueEmails schedules the delivery of outbox emails emailIDs as part of tx.
	EnqueueEmails(ctx context.Context, tx *sql.Tx, emailIDs []int64) error
	// EnqueueWebhooks schedules webhook deliveries as part of tx.
	EnqueueWebhooks(ctx context.Context, tx *sql.Tx, deliveries []WebhookJob) error
}

// Store applies the program's rules to the database. It is safe for concurrent use.
type Store struct {
	db      *gorm.DB
	sqlDB   *sql.DB
	dialect Dialect
	// sqlitePath is the embedded database's file ("" on PostgreSQL).
	sqlitePath string
	clock      Clock
	jobs       Jobs
	// allowPrivateWebhooks: see Options.AllowPrivateWebhooks.
	allowPrivateWebhooks bool
	// installation caches InstallationID (shared by copies of the Store).
	installation *installationCache
	// stmts keeps the prepared statements of the hottest reads (see query).
	stmts *stmtCache
	dues  *dueCache
	// payChunk is how many payouts one pay transaction takes (the constant payChunk;
	// tests set it lower).
	payChunk int
	// seen is this instance's memory of the addresses RecordSeen wrote today.
	seen *seenDaily
}

// sqliteTimeFormat is how times are written to SQLite: UTC with fixed-width milliseconds,
// so that comparing the text compares the instants. It is the format SQLite's own date
// functions and River's SQLite driver use; the driver converts to UTC before formatting.
const sqliteTimeFormat = "2006-01-02 15:04:05.000"

// SQLiteDSN is the connection string for the embedded database at path. Every pooled
// connection gets WAL, a busy timeout and foreign keys; writers take the write lock when
// their transaction begins (_txlock=immediate), since a deferred transaction that later
// tries to write fails with SQLITE_BUSY whatever the busy timeout.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Set("_txlock", "immediate")
	q.Set("_timefmt", sqliteTimeFormat)
	// Order matters to the driver: busy_timeout first.
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(wal)")
	q.Add("_pragma", "foreign_keys(on)")
	q.Add("_pragma", "synchronous(normal)")
	return "file:" + filepath.ToSlash(path) + "?" + q.Encode()
}

// DialectOf tells which database a DATABASE_URL selects: empty means the embedded SQLite
// file, postgres://... means PostgreSQL.
func DialectOf(databaseURL string) (Dialect, error) {
	switch {
	case databaseURL == "":
		return SQLite, nil
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		return Postgres, nil
	}
	return "", errors.New("DATABASE_URL must be empty (embedded SQLite) or start with postgres://")
}

// Open connects to the database chosen by opts.DatabaseURL. It does not migrate.
func Open(ctx context.Context, opts Options) (*Store, error) {
	clock := opts.Clock
	if clock == nil {
		clock = SystemClock{}
	}
	cfg := &gorm.Config{
		NowFunc:        func() time.Time { return clock.Now().UTC() },
		TranslateError: true,
		Logger:         logger.Discard,
	}
	if opts.LogQueries {
		cfg.Logger = logger.Default.LogMode(logger.Info)
	}

	dialect, err := DialectOf(opts.DatabaseURL)
	if err != nil {
		return nil, err
	}
	var (
		dialector  gorm.Dialector
		sqlitePath string
	)
	switch dialect {
	case SQLite:
		dir := opts.DataDir
		if dir == "" {
			dir = "data"
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data folder %s: %w", dir, err)
		}
		sqlitePath = filepath.Join(dir, "referrals.db")
		dialector = gormlite.Open(SQLiteDSN(sqlitePath))
	case Postgres:
		dsn := opts.DatabaseURL
		if opts.StatementTimeout > 0 {
			if dsn, err = withRuntimeParam(dsn, "statement_timeout", strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)); err != nil {
				return nil, err
			}
		}
		dialector = postgres.Open(dsn)
	}

	db, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	switch dialect {
	case SQLite:
		// SQLite has one writer at a time; a few connections serve concurrent readers.
		sqlDB.SetMaxOpenConns(4)
		sqlDB.SetMaxIdleConns(4)
		sqlDB.SetConnMaxIdleTime(0)
	case Postgres:
		n := opts.MaxConns
		if n <= 0 {
			n = 16
		}
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	s := &Store{db: db, sqlDB: sqlDB, dialect: dialect, sqlitePath: sqlitePath, clock: clock, jobs: opts.Jobs, installation: &installationCache{}, payChunk: payChunk, seen: &seenDaily{}, stmts: &stmtCache{}, dues: &dueCache{}, allowPrivateWebhooks: opts.AllowPrivateWebhooks}
	if err := s.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// withRuntimeParam adds a server setting to a PostgreSQL URL (pgx sends unknown query
// parameters as settings when it connects), unless the URL sets it already.
func withRuntimeParam(databaseURL, name, value string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", errors.New("DATABASE_URL is not a URL")
	}
	q := u.Query()
	if q.Get(name) == "" {
		q.Set(name, value)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Close releases the connections.
func (s *Store) Close() error { return s.sqlDB.Close() }

// MaxConnections is the size of the connection pool: how many queries can run at once.
func (s *Store) MaxConnections() int { return s.sqlDB.Stats().MaxOpenConnections }

// Dialect tells which database the Store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB is the connection pool, for the job queue that shares the database.
func (s *Store) DB() *sql.DB { return s.sqlDB }

// SQLitePath is the embedded database's file, for the job queue's own connection to it
// ("" on PostgreSQL).
func (s *Store) SQLitePath() string { return s.sqlitePath }

// Now is the Store's clock.
func (s *Store) Now() time.Time { return s.clock.Now().UTC() }

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	return nil
}

// IsUnavailable reports whether err means the database cannot be reached right now
// (refused or dropped connections, a server shutting down, SQLite busy beyond its
// timeout), as opposed to a mistake in the request or the code. Such errors are answered
// 503 and end when the database is back.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var (
		connectErr *pgconn.ConnectError
		pgErr      *pgconn.PgError
		netErr     net.Error
	)
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, sqlite3.BUSY):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P: the server is shutting down or restarting.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	}
	return false
}

// IsTimeout reports whether err means the work ran out of time: its context's deadline
// passed (the database cancelled its query), or PostgreSQL's statement_timeout stopped a
// query (57014, query_canceled).
func IsTimeout(err error) bool {
	var pgErr *pgconn.PgError
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &pgErr) && pgErr.Code == "57014"
}

// transaction runs fn in one database transaction: all of it or none of it.
func (s *Store) transaction(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(fn)
}

// rawScan runs raw SQL in tx and scans the rows it returns into dest, a slice: what
// tx.Raw(query, args...).Scan(dest) does, without the cost gorm's Scan adds to every
// call, logged or not: it writes out the statement with each argument inlined, which
// for a multi-row insert of a thousand rows took longer than the insert.
func rawScan(tx *gorm.DB, dest any, query string, args ...any) error {
	rows, err := tx.Raw(query, args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		if err := tx.ScanRows(rows, dest); err != nil {
			return err
		}
	}
	// A failing statement may report only now (PostgreSQL sends the error after the
	// rows): translate it as gorm does its own, so gorm.ErrDuplicatedKey still matches.
	if err := rows.Err(); err != nil {
		if t, ok := tx.Dialector.(gorm.ErrorTranslator); ok && tx.Config.TranslateError {
			return t.Translate(err)
		}
		return err
	}
	return nil
}

// deref is *p, or the zero value for a nil pointer (a NULL column).
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// sqlTxOf is the database transaction of the gorm session tx, for the job queue to
// insert its jobs into.
func sqlTxOf(tx *gorm.DB) (*sql.Tx, error) {
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return nil, errors.New("not inside a transaction")
	}
	return sqlTx, nil
}

// rowsAffected turns a conditional update that matched nothing into err.
func rowsAffected(res *gorm.DB, err error) error {
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return err
	}
	return nil
}

// exprTime is a nullable time computed by an SQL expression (MIN, a subquery). SQLite
// gives such a column no declared type, so its driver hands over the stored text
// (sqliteTimeFormat) rather than a time; PostgreSQL hands over a time.
type exprTime struct{ Time *time.Time }

func (e *exprTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		e.Time = nil
	case time.Time:
		t := v.UTC()
		e.Time = &t
	case string, []byte:
		var s string
		if b, ok := v.([]byte); ok {
			s = string(b)
		} else {
			s = v.(string)
		}
		t, err := time.ParseInLocation(sqliteTimeFormat, s, time.UTC)
		if err != nil {
			if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
				return fmt.Errorf("read time %q: %w", s, err)
			}
		}
		t = t.UTC()
		e.Time = &t
	default:
		return fmt.Errorf("read time from %T", v)
	}
	return nil
}

// Value is for gorm, which takes a field for a column only when it is a Valuer too.
func (e exprTime) Value() (driver.Value, error) {
	if e.Time == nil {
		return nil, nil
	}
	return *e.Time, nil
}

// Backup writes an online, consistent copy of the embedded SQLite database to path, a
// file that must not exist yet: SQLite's VACUUM INTO reads the database in one read
// transaction, so the copy is the database as it was at one moment, while the server
// goes on reading and writing (WAL mode lets writers carry on meanwhile). The copy is a
// complete database file, compacted, that Open can use as it is.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return errors.New("backup copies the embedded SQLite database only")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists already: give the name of a new file", path)
	}
	if err := s.db.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	return nil
}

// stmtCache keeps prepared statements by their SQL. database/sql prepares each on a
// connection the first time it runs there and reuses it after, so the database parses a
// hot statement once per connection instead of once per request (for SQLite, parsing cost
// more than running the dashboard's small queries).
type stmtCache struct {
	stmts sync.Map // SQL -> *sql.Stmt
}

// query runs a read through a prepared statement. query is written with ? placeholders
// and rewritten to $1, $2, ... for PostgreSQL.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// prepared is the prepared statement of query (written with ? placeholders), kept by
// the text as written, so that a hot statement is neither rewritten nor looked up anew.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	text := query
	if s.dialect == Postgres {
		text = dollarPlaceholders(query)
	}
	st, err := s.sqlDB.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		st = prev.(*sql.Stmt)
	}
	return st, nil
}

// dollarPlaceholders rewrites ? into $1, $2, ... (the queries given to query hold no ?
// in string literals).
func dollarPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// inList is "(?, ?, ?)" for n values, for an IN list.
func inList(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}
