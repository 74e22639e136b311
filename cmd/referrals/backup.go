package main

import (
	"context"
	"fmt"

	"referrals/models"
)

// backup runs `referrals backup FILE`: an online, consistent copy of the embedded
// database into a new file, while the server may be running. PostgreSQL has its own
// tool for that, so the command only says which (exit status 2).
func (c *cli) backup(ctx context.Context, args []string) error {
	fs := flags("backup")
	if err := fs.Parse(args); err != nil {
		return usageError{"backup: " + err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"backup: give the file to write: referrals backup FILE"}
	}
	dialect, err := models.DialectOf(c.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	if dialect == models.Postgres {
		return exitError{2, `backup copies the embedded SQLite database; for PostgreSQL use pg_dump, e.g. pg_dump --format=custom --file=FILE "$DATABASE_URL"`}
	}
	opts, err := c.cfg.storeOptions()
	if err != nil {
		return err
	}
	// No migration check: a copy taken before migrating is the point of a backup.
	store, err := models.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Backup(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "backed up %s to %s\n", store.SQLitePath(), fs.Arg(0))
	return nil
}
