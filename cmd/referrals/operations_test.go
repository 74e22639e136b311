package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestCommandsThatEmailRefuseLocalhostLinksOnPostgres(t *testing.T) {
	db := modelstest.Postgres(t)
	for _, base := range []string{"http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]", "https://app.localhost"} {
		env := envFor(db)
		env["BASE_URL"] = base
		for _, args := range [][]string{
			{"invite", "--program", "customer-service"},
			{"payouts", "pay", "--month", "2019-03"},
			{"seed", "--demo"},
		} {
			code, _, errOut := referrals(t, env, "", args...)
			if code != 1 || !strings.Contains(errOut, "--allow-localhost") || strings.Count(errOut, "\n") != 1 {
				t.Errorf("%s with BASE_URL=%s: exit %d, %q; want exit 1, one line naming --allow-localhost", args[0], base, code, errOut)
			}
		}
	}
	if n := db.Count(t, "emails", ""); n != 0 {
		t.Fatalf("a refused command queued %d emails", n)
	}
	env := envFor(db)
	env["BASE_URL"] = "http://localhost:8080"
	if code, out, errOut := referrals(t, env, "", "payouts", "pay", "--month", "2019-03", "--allow-localhost"); code != 0 {
		t.Fatalf("with --allow-localhost: exit %d, %q %q", code, out, errOut)
	}
}

func TestCommandsKeepLocalhostLinksOnTheEmbeddedDatabase(t *testing.T) {
	db := modelstest.SQLite(t)
	env := envFor(db)
	env["BASE_URL"] = "http://localhost:8080"
	if code, _, errOut := referrals(t, env, "", "payouts", "pay", "--month", "2019-03"); code != 0 {
		t.Fatalf("payouts pay on SQLite with a localhost BASE_URL: exit %d, %q", code, errOut)
	}
}

func TestServeOnPostgresRefusesToStartWithoutSessionSecret(t *testing.T) {
	db := modelstest.Postgres(t)
	env := envFor(db)
	env["ADDR"] = "127.0.0.1:0"
	code, _, errOut := referrals(t, env, "", "serve")
	if code != 1 || !strings.Contains(errOut, "SESSION_SECRET is not set") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("serve without SESSION_SECRET: exit %d, %q; want exit 1 and one line saying why", code, errOut)
	}
}

func TestOnlyMigrateAndServeMigrate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DATA_DIR": dir, "BASE_URL": modelstest.BaseURL}
	for _, args := range [][]string{
		{"invite", "--program", "customer-service"},
		{"payouts", "pay", "--month", "2019-03"},
		{"seed", "--demo"},
		{"program", "create", "--slug", "x", "--name", "X", "--deadline", "2019-04-15"},
	} {
		code, _, errOut := referrals(t, env, "", args...)
		if code != 1 || !strings.Contains(errOut, "referrals migrate") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%s on an unmigrated database: exit %d, %q; want exit 1, one line naming referrals migrate", args[0], code, errOut)
		}
	}
	// Nothing was migrated behind the operator's back.
	store, err := models.Open(context.Background(), models.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if pending, err := store.Pending(context.Background()); err != nil || !pending {
		t.Errorf("after the refused commands: pending %v, %v; want still pending", pending, err)
	}
	store.Close()
	if code, _, errOut := referrals(t, env, "", "migrate"); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := referrals(t, env, "", "seed", "--demo"); code != 0 {
		t.Fatalf("seed after migrate: exit %d, %q", code, errOut)
	}
}

func TestBackupOnPostgresPointsAtPgDump(t *testing.T) {
	db := modelstest.Postgres(t)
	code, _, errOut := referrals(t, envFor(db), "", "backup", filepath.Join(t.TempDir(), "copy.db"))
	if code != 2 || !strings.Contains(errOut, "pg_dump") {
		t.Fatalf("backup on PostgreSQL: exit %d, %q; want exit 2 naming pg_dump", code, errOut)
	}
}

// TestBackupIsAConsistentCopyTakenWhileWritesGoOn copies the embedded database while
// earnings keep arriving (each one, in its transaction, adds an earning row and raises
// its referral's counted total): the copy must be the database at one moment, so in it
// every total equals the sum of its earnings, and it holds as many earnings as there
// were at some moment between the start and the end of the backup.
func TestBackupIsAConsistentCopyTakenWhileWritesGoOn(t *testing.T) {
	db := modelstest.SQLite(t)
	f := db.PendingPayoutFixture(t, modelstest.PendingPayout{ReferrerEmail: "maria@example.com", FriendEmail: "sam@example.com"})
	ctx, stop := context.WithCancel(context.Background())
	var written atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			_, err := db.Store.RecordEarnings(context.Background(), []models.EarningEvent{{
				ID: "during_" + itoa(i), FreelancerEmail: f.Friend.Email, AmountCents: 100, Currency: "USD",
				Category: models.DefaultCategory, ClientID: "cl_3", OccurredAt: db.Clock.Now().Format(time.RFC3339),
			}})
			if err != nil {
				t.Error(err)
				return
			}
			written.Add(1)
		}
	})
	for written.Load() < 20 {
		time.Sleep(5 * time.Millisecond)
	}
	before := db.Count(t, "earnings", "")
	copyDir := t.TempDir()
	code, out, errOut := referrals(t, envFor(db), "", "backup", filepath.Join(copyDir, "referrals.db"))
	after := db.Count(t, "earnings", "")
	for written.Load() < after+20 && !t.Failed() { // the writer went on during and after the copy
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	wg.Wait()
	if code != 0 || !strings.Contains(out, "backed up") {
		t.Fatalf("backup: exit %d, %q %q", code, out, errOut)
	}

	copied, err := sql.Open("sqlite3", models.SQLiteDSN(filepath.Join(copyDir, "referrals.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer copied.Close()
	var integrity string
	var n, counted, sum int64
	if err := copied.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity of the copy: %q, %v", integrity, err)
	}
	if err := copied.QueryRow("SELECT COUNT(*) FROM earnings").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := copied.QueryRow("SELECT counted_cents, (SELECT SUM(amount_cents) FROM earnings WHERE referral_id = referrals.id) FROM referrals WHERE id = ?", f.Referral).Scan(&counted, &sum); err != nil {
		t.Fatal(err)
	}
	if n < before || n > after || counted != sum {
		t.Fatalf("copy: %d earnings (between %d and %d?), counted %d against a sum of %d", n, before, after, counted, sum)
	}
	t.Logf("earnings: %d when the backup started, %d in the copy, %d when it ended", before, n, after)
	if n == before && n == after {
		t.Fatal("no write happened while the backup ran; the test proves nothing")
	}
	// The copy is a database the app opens as it is.
	store, err := models.Open(context.Background(), models.Options{DataDir: copyDir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if pending, err := store.Pending(context.Background()); err != nil || pending {
		t.Fatalf("the copy: pending migrations %v, %v", pending, err)
	}
	if code, _, errOut := referrals(t, envFor(db), "", "backup", filepath.Join(copyDir, "referrals.db")); code != 1 || !strings.Contains(errOut, "exists") {
		t.Errorf("backup over an existing file: exit %d, %q", code, errOut)
	}
}

func TestLogFormatAndLevelAreChecked(t *testing.T) {
	for _, env := range []map[string]string{{"LOG_FORMAT": "xml"}, {"LOG_LEVEL": "loud"}} {
		env["DATA_DIR"] = t.TempDir()
		code, _, errOut := referrals(t, env, "", "migrate")
		if code != 1 || !strings.Contains(errOut, "LOG_") {
			t.Errorf("%v: exit %d, %q", env, code, errOut)
		}
	}
	env := map[string]string{"DATA_DIR": t.TempDir(), "LOG_FORMAT": "json", "LOG_LEVEL": "debug"}
	if code, _, errOut := referrals(t, env, "", "migrate"); code != 0 {
		t.Fatal(errOut)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
