package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestMain(m *testing.M) { os.Exit(modelstest.Run(m)) }

// referrals runs the command as a person would, with env for the environment, and
// returns its exit status and output.
func referrals(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, func(k string) string { return env[k] })
	return code, stdout.String(), stderr.String()
}

// envFor is the environment that points the command at db.
func envFor(db *modelstest.DB) map[string]string {
	return map[string]string{"DATABASE_URL": db.URL, "DATA_DIR": db.DataDir}
}

func TestUserAddRefusesAnEmailThatExistsInAnotherLetterCase(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		env := envFor(db)
		code, out, errOut := referrals(t, env, "correct horse\n", "user", "add", "--email", "Maria@Example.com", "--name", "Maria Santos", "--top-rated")
		if code != 0 || !strings.Contains(out, "created freelancer maria@example.com") {
			t.Fatalf("first user add: exit %d, %q %q", code, out, errOut)
		}
		code, _, errOut = referrals(t, env, "another password\n", "user", "add", "--email", "MARIA@example.com", "--name", "Someone Else")
		if code == 0 {
			t.Fatal("user add accepted an email that exists in another letter case")
		}
		if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines != 0 || !strings.Contains(errOut, "already exists") {
			t.Errorf("error output %q: want one line saying the account exists", errOut)
		}
		if n := db.Count(t, "users", ""); n != 1 {
			t.Errorf("%d users, want 1", n)
		}
	})
}

func TestUserAddMakesStaffOfEachRole(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		for _, c := range []struct {
			email string
			flags []string
			want  string
		}{
			{"owner@example.com", []string{"--admin"}, "owner"},
			{"reviewer@example.com", []string{"--role", "reviewer"}, "reviewer"},
			{"finance@example.com", []string{"--role", "finance"}, "finance"},
		} {
			args := append([]string{"user", "add", "--email", c.email, "--name", "Staff"}, c.flags...)
			code, out, errOut := referrals(t, envFor(db), "correct horse\n", args...)
			if code != 0 || !strings.Contains(out, "created "+c.want) {
				t.Fatalf("%v: exit %d: %q %q", c.flags, code, out, errOut)
			}
			if db.Count(t, "users", "email = ? AND role = ? AND top_rated = ?", c.email, c.want, false) != 1 {
				t.Errorf("%s is not stored as %s", c.email, c.want)
			}
		}
		code, _, errOut := referrals(t, envFor(db), "correct horse\n", "user", "add", "--email", "x@example.com", "--name", "X", "--role", "admin")
		if code != 2 || !strings.Contains(errOut, "reviewer, finance or owner") {
			t.Errorf("--role admin: exit %d, %q", code, errOut)
		}
	})
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	// The test databases arrive migrated; a run of migrate must change nothing.
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		code, out, errOut := referrals(t, envFor(db), "", "migrate")
		if code != 0 || !strings.Contains(out, "up to date") {
			t.Fatalf("migrate: exit %d, %q %q", code, out, errOut)
		}
	})
}

func TestMigrateAFreshEmbeddedDatabase(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir()}
	if code, out, errOut := referrals(t, env, "", "migrate"); code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("first migrate: exit %d, %q %q", code, out, errOut)
	}
	if code, out, _ := referrals(t, env, "", "migrate"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: exit %d, %q", code, out)
	}
}

func TestProgramCreate(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		env := envFor(db)
		code, out, errOut := referrals(t, env, "", "program", "create", "--slug", "customer-service", "--name", "Customer Service referrals",
			"--deadline", "2019-04-15", "--category", "Customer Service", "--category", "Technical Support", "--threshold", "500", "--reward", "100")
		if code != 0 {
			t.Fatalf("exit %d: %q", code, errOut)
		}
		if !strings.Contains(out, "Apr 15, 2019, 11:59 PM PDT") || !strings.Contains(out, "Customer Service and Technical Support") {
			t.Errorf("output %q", out)
		}
		code, _, errOut = referrals(t, env, "", "program", "create", "--slug", "x", "--name", "X", "--deadline", "2019-04-15", "--threshold", "12.345")
		if code == 0 || !strings.Contains(errOut, "threshold") {
			t.Errorf("bad threshold: exit %d, %q", code, errOut)
		}
	})
}

func TestSeedDemoFillsAnEmptyDatabaseOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		env := envFor(db)
		code, out, errOut := referrals(t, env, "", "seed", "--demo")
		if code != 0 || !strings.Contains(out, "admin@example.com") || !strings.Contains(out, "demo-password") {
			t.Fatalf("seed: exit %d, %q %q", code, out, errOut)
		}
		// Each member of staff is printed with its otpauth:// URI and three recovery codes.
		if n := strings.Count(out, "otpauth://totp/Referrals:"); n != 3 {
			t.Errorf("%d otpauth URIs printed, want 3 (one per staff role):\n%s", n, out)
		}
		codes := regexp.MustCompile(`\b[a-z0-9]{5}-[a-z0-9]{5}\b`).FindAllString(out, -1)
		if len(codes) != 9 {
			t.Fatalf("%d recovery codes printed, want 9:\n%s", len(codes), out)
		}
		// The owner's first printed code signs in once; the next seed prints the others.
		owner, _ := db.Store.UserByEmail(t.Context(), "admin@example.com")
		if _, err := db.Store.VerifySecondFactor(t.Context(), owner.ID, codes[0], "192.0.2.1"); err != nil {
			t.Fatalf("a printed recovery code: %v", err)
		}
		users := db.Count(t, "users", "")
		code, out, _ = referrals(t, env, "", "seed", "--demo")
		if code != 0 || !strings.Contains(out, "already present") {
			t.Fatalf("second seed: exit %d, %q", code, out)
		}
		if strings.Contains(out, codes[0]) || !strings.Contains(out, codes[1]) || strings.Count(out, "otpauth://") != 3 {
			t.Errorf("the second seed prints the used code, or not the others:\n%s", out)
		}
		if db.Count(t, "users", "") != users {
			t.Error("a second seed added users")
		}
	})
}

func TestUserCommandsChangeAccounts(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		env := envFor(db)
		for _, args := range [][]string{
			{"user", "add", "--email", "owner@example.com", "--name", "Owner", "--admin"},
			{"user", "add", "--email", "rita@example.com", "--name", "Rita", "--role", "reviewer"},
		} {
			if code, _, errOut := referrals(t, env, "correct horse\n", args...); code != 0 {
				t.Fatalf("%v: %s", args, errOut)
			}
		}
		ctx := t.Context()
		rita, _ := db.Store.UserByEmail(ctx, "rita@example.com")
		steps := []struct {
			stdin string
			args  []string
			want  string
		}{
			{"battery staple\n", []string{"user", "passwd", "--email", "Rita@example.com"}, "set the password"},
			{"", []string{"user", "role", "--email", "rita@example.com", "--role", "finance"}, "is now finance"},
			{"", []string{"user", "disable", "--email", "rita@example.com"}, "disabled"},
			{"", []string{"user", "enable", "--email", "rita@example.com"}, "enabled"},
		}
		for _, s := range steps {
			if code, out, errOut := referrals(t, env, s.stdin, s.args...); code != 0 || !strings.Contains(out, s.want) {
				t.Fatalf("%v: exit %d, %q %q", s.args, code, out, errOut)
			}
		}
		after, _ := db.Store.UserByEmail(ctx, "rita@example.com")
		if after.Role != models.RoleFinance || after.Disabled() || after.SessionVersion <= rita.SessionVersion {
			t.Errorf("rita after the commands: %+v", after)
		}
		if _, err := db.Store.Authenticate(ctx, "rita@example.com", "battery staple", "192.0.2.1"); err != nil {
			t.Errorf("the password set by user passwd: %v", err)
		}
		// The last owner stays; an unknown email and an unknown role are one-line errors.
		for _, c := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"user", "role", "--email", "owner@example.com", "--role", "reviewer"}, 1, "last enabled owner"},
			{[]string{"user", "disable", "--email", "owner@example.com"}, 1, "last enabled owner"},
			{[]string{"user", "disable", "--email", "nobody@example.com"}, 1, "no account"},
			{[]string{"user", "role", "--email", "rita@example.com", "--role", "admin"}, 2, "reviewer, finance or owner"},
			{[]string{"user", "mfa-reset", "--email", "rita@example.com"}, 1, "has not set up"},
		} {
			code, _, errOut := referrals(t, env, "", c.args...)
			if code != c.code || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("%v: exit %d, %q; want exit %d saying %q", c.args, code, errOut, c.code, c.want)
			}
		}
		if n := db.Count(t, "audit_events", "actor = 'cli' AND (action LIKE 'user.%' OR action LIKE 'staff.%')"); n != 4 {
			t.Errorf("%d audit events of the user commands, want 4", n)
		}
	})
}

func TestMistakesAreOneLineAndNonZero(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir()}
	for _, args := range [][]string{
		{"frobnicate"},
		{"user", "add", "--email", "a@b.c"},
		{"user", "remove"},
		{"program", "create", "--slug", "x"},
		{"seed"},
		{"migrate", "--bogus"},
	} {
		code, _, errOut := referrals(t, env, "", args...)
		if code == 0 {
			t.Errorf("%v: exit 0", args)
		}
		if first := strings.SplitN(errOut, "\n", 2)[0]; !strings.HasPrefix(first, "referrals: ") {
			t.Errorf("%v: first line %q", args, first)
		}
	}
	env["DATABASE_URL"] = "mysql://nope"
	if code, _, errOut := referrals(t, env, "", "migrate"); code != 1 || strings.Count(errOut, "\n") != 1 {
		t.Errorf("bad DATABASE_URL: exit %d, %q", code, errOut)
	}
}
