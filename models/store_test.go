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
		if _, err := db.Store.DB().Exec("UPDATE audit_events SET action = 'tampered'"); err == nil {
			t.Error("updating an audit event succeeded; want refused")
		}
		if _, err := db.Store.DB().Exec("DELETE FROM audit_events"); err == nil {
			t.Error("deleting audit events succeeded; want refused")
		}
	})
}

func TestOpenRefusesUnknownDatabaseURL(t *testing.T) {
	_, err := models.Open(context.Background(), models.Options{DatabaseURL: "mysql://x"})
	if err == nil {
		t.Fatal("Open accepted a mysql URL")
	}
}
