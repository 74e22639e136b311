package models

import (
	"context"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Each dialect has its own folder of versioned SQL migrations, numbered alike: the same
// schema, spelled for each database. Both are applied by goose, which records what ran in
// its version table, so migrating twice is a no-op.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// Migrate applies the pending migrations, the app's and then the job queue's (which
// records its own versions), and reports how many ran.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	if s.dialect == Postgres {
		// Several instances may start at once: one migrates while the others wait, then
		// find nothing to do. One lock covers both sets, as the queue's migrator has none.
		unlock, err := s.lockMigrations(ctx)
		if err != nil {
			return 0, err
		}
		defer unlock()
	}
	n, err := s.migrateSchema(ctx)
	if err != nil || s.jobs == nil {
		return n, err
	}
	m, err := s.jobs.Migrate(ctx, s.sqlDB)
	if err != nil {
		return n + m, fmt.Errorf("migrate the job queue's tables: %w", err)
	}
	return n + m, nil
}

// schemaMigrations is goose's provider of the app's own migrations for this database.
func (s *Store) schemaMigrations() (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationFiles, "migrations/"+string(s.dialect))
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	provider, err := goose.NewProvider(dialect, s.sqlDB, fsys)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return provider, nil
}

// migrateSchema applies the app's own migrations.
func (s *Store) migrateSchema(ctx context.Context) (int, error) {
	provider, err := s.schemaMigrations()
	if err != nil {
		return 0, err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("migrate %s database: %w", s.dialect, err)
	}
	return len(results), nil
}

// lockMigrations takes PostgreSQL's session advisory lock for migrations on a connection
// of its own, and returns what releases it.
func (s *Store) lockMigrations(ctx context.Context) (unlock func(), err error) {
	// Retry every second for up to 5 minutes: a migration by another instance is short.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, err
	}
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	if err := locker.SessionLock(ctx, conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	return func() {
		if err := locker.SessionUnlock(context.WithoutCancel(ctx), conn); err != nil {
			// A session lock lives as long as its connection: never pool one still holding it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}
