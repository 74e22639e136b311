package models

import (
	"context"
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

// Migrate applies the pending migrations and reports how many ran.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	dir := "migrations/" + string(s.dialect)
	fsys, err := fs.Sub(migrationFiles, dir)
	if err != nil {
		return 0, err
	}
	var (
		dialect = goose.DialectSQLite3
		opts    []goose.ProviderOption
	)
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
		// Several instances may start at once; a session lock lets one migrate at a time.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return 0, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	provider, err := goose.NewProvider(dialect, s.sqlDB, fsys, opts...)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return len(results), fmt.Errorf("migrate %s database: %w", s.dialect, err)
	}
	return len(results), nil
}
