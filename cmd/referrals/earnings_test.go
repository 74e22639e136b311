package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"referrals/models/modelstest"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const header = "id,freelancer_email,amount,category,client_id,occurred_at\n"

func TestEarningsImportPrintsTheSummary(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		env := envFor(db)
		path := writeFile(t, "march.csv", header+
			"evt_1,ana@example.com,310.00,Customer Service,cl_9,2019-03-02\n"+
			"evt_2,ana@example.com,12.50,Design,cl_9,2019-03-02\n")
		code, out, errOut := referrals(t, env, "", "earnings", "import", path)
		if code != 0 || !strings.Contains(out, "2 rows: 0 accepted, 0 duplicates, 2 ignored, 0 rejected") || !strings.Contains(out, "2 ignored: not a referred friend") {
			t.Fatalf("exit %d: %q %q", code, out, errOut)
		}
		code, out, _ = referrals(t, env, "", "earnings", "import", path)
		if code != 0 || !strings.Contains(out, "0 accepted, 2 duplicates, 0 ignored") {
			t.Fatalf("second import: exit %d: %q", code, out)
		}
		if db.Count(t, "earnings", "") != 2 || db.Count(t, "audit_events", "action = 'earnings.import' AND actor = 'cli'") != 2 {
			t.Error("the imports were not applied once and audited each time")
		}
	})
}

func TestEarningsImportWithBadRowsAppliesNothingAndFails(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		path := writeFile(t, "bad.csv", header+
			"evt_1,ana@example.com,310.00,Customer Service,cl_9,2019-03-02\n"+
			"evt_2,ana@example.com,1e3,Customer Service,cl_9,2019-03-02\n"+
			"evt_3,ana@example.com,5,Customer Service,,2019-03-32\n")
		code, out, errOut := referrals(t, envFor(db), "", "earnings", "import", path)
		if code == 0 || out != "" {
			t.Fatalf("exit %d, stdout %q", code, out)
		}
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], path+`:3: amount "1e3"`) ||
			!strings.HasPrefix(lines[1], path+":4: client_id is empty; occurred_at") || !strings.Contains(lines[2], "nothing imported") {
			t.Errorf("stderr:\n%s", errOut)
		}
		if db.Count(t, "earnings", "") != 0 {
			t.Error("a file with bad rows was applied")
		}
	})
}

func TestEarningsImportNeedsOneFile(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir()}
	for _, args := range [][]string{{"earnings", "import"}, {"earnings", "import", "a.csv", "b.csv"}, {"earnings", "export"}} {
		if code, _, errOut := referrals(t, env, "", args...); code != 2 || !strings.Contains(errOut, "earnings") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
	if code, _, errOut := referrals(t, env, "", "earnings", "import", filepath.Join(t.TempDir(), "missing.csv")); code != 1 || strings.Count(errOut, "\n") != 1 {
		t.Errorf("a missing file: exit %d, %q", code, errOut)
	}
}
