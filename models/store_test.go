package models_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/ncruces/go-sqlite3/driver"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestSQLiteConnectionsHaveWALBusyTimeoutAndForeignKeys(t *testing.T) {
	db := modelstest.SQLite(t)
	ctx := context.Background()
	// Hold several connections at once so the pool must open more than one.
	var conns []*sql.Conn
	for range 3 {
		conn, err := db.Store.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	for i, conn := range conns {
		var mode string
		var timeout, fk int
		if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" || timeout < 5000 || fk != 1 {
			t.Errorf("connection %d: journal_mode=%s busy_timeout=%d foreign_keys=%d; want wal, >=5000, 1", i, mode, timeout, fk)
		}
		conn.Close()
	}
}

func TestSQLiteDSNBeginsWritersImmediately(t *testing.T) {
	dsn := models.SQLiteDSN(filepath.Join(t.TempDir(), "x.db"))
	if want := "_txlock=immediate"; !strings.Contains(dsn, want) {
		t.Fatalf("DSN %q lacks %s", dsn, want)
	}
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		n, err := db.Store.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("second migration applied %d migrations, want 0", n)
		}
	})
}

func TestAuditEventsAreAppendOnly(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		if _, err := db.Store.CreateProgram(ctx, models.CLIActor(), models.ProgramInput{Slug: "cs", Name: "CS", Deadline: "2019-04-15"}); err != nil {
			t.Fatal(err)
		}
		if db.Count(t, "audit_events", "action = ?", "program.create") != 1 {
			t.Fatal("program creation was not audited")
		}
		assertAppendOnly(t, db, "audit_events", "action = 'tampered'", "action = 'program.create'")
	})
}

func TestLedgerEntriesAreAppendOnly(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		approvedInMarch(t, db, 1)
		if _, err := db.Store.PayBatch(context.Background(), staff(t, db), "2019-03"); err != nil {
			t.Fatal(err)
		}
		if db.Count(t, "ledger_entries", "amount_cents = 10000") != 1 {
			t.Fatal("paying the batch wrote no ledger credit")
		}
		assertAppendOnly(t, db, "ledger_entries", "amount_cents = 99999", "amount_cents = 10000")
	})
}

// assertAppendOnly checks that the database itself refuses to change or remove the rows
// of table (matching where): an UPDATE setting set and a DELETE both fail, and the rows
// are still there, unchanged.
func assertAppendOnly(t *testing.T, db *modelstest.DB, table, set, where string) {
	t.Helper()
	before := db.Count(t, table, where)
	if _, err := db.Store.DB().Exec("UPDATE " + table + " SET " + set); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("updating %s: %v; want refused as append-only", table, err)
	}
	if _, err := db.Store.DB().Exec("DELETE FROM " + table); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("deleting from %s: %v; want refused as append-only", table, err)
	}
	if after := db.Count(t, table, where); after != before || before == 0 {
		t.Errorf("%s rows matching %s: %d before, %d after", table, where, before, after)
	}
}

func TestOpenRefusesUnknownDatabaseURL(t *testing.T) {
	_, err := models.Open(context.Background(), models.Options{DatabaseURL: "mysql://x"})
	if err == nil {
		t.Fatal("Open accepted a mysql URL")
	}
}
