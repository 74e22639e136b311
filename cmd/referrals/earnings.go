package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"referrals/models"
	"referrals/views"
)

// earningsImport runs `referrals earnings import FILE`: it checks the whole CSV file,
// then applies it all or nothing, and prints a summary, or every bad row (and exits
// non-zero, nothing applied).
func (c *cli) earningsImport(ctx context.Context, args []string) error {
	fs := flags("earnings import")
	allowLocal := allowLocalhost(fs)
	if err := fs.Parse(args); err != nil {
		return usageError{"earnings import: " + err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"earnings import: give one CSV file: referrals earnings import FILE"}
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("earnings import: %w", err)
	}
	defer f.Close()
	file, err := models.ParseEarningsCSV(filepath.Base(path), f)
	if err != nil {
		return c.badRows(path, err)
	}
	if err := c.cfg.refuseLocalLinks(*allowLocal); err != nil {
		return err
	}
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	sum, err := store.ImportEarnings(ctx, models.CLIActor(), file)
	if err != nil {
		return c.badRows(path, err)
	}
	fmt.Fprintf(c.stdout, "imported %s: %d rows: %d accepted, %s, %d ignored, 0 rejected\n",
		path, sum.Rows, sum.Accepted, views.Plural(int64(sum.Duplicates), "duplicate", "duplicates"), sum.Ignored)
	for _, r := range sum.IgnoredBy {
		fmt.Fprintf(c.stdout, "  %d ignored: %s\n", r.Count, r.Reason)
	}
	return nil
}

// badRows prints each bad row of a refused file on standard error, as FILE:LINE: reason,
// and returns the one-line error.
func (c *cli) badRows(path string, err error) error {
	var bad models.BadRows
	if !errors.As(err, &bad) {
		return fmt.Errorf("earnings import: %w", err)
	}
	for _, r := range bad {
		fmt.Fprintf(c.stderr, "%s:%d: %s\n", path, r.Line, strings.Join(strings.Fields(r.Reason), " "))
	}
	return fmt.Errorf("earnings import: nothing imported: %s has %s", path, views.Plural(int64(len(bad)), "bad row", "bad rows"))
}
