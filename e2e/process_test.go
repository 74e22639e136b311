//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// The tests in this file run the real binary as separate processes, as an operator would.

// buildBinary compiles cmd/referrals once per test binary.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "referrals-e2e-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "referrals")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/referrals")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v: %s", err, out)
	}
	return bin, nil
})

func binary(t *testing.T) string {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// referrals runs the binary to completion with env and returns its output.
func referrals(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("referrals %v: %v: %s", args, err, out)
	}
	return string(out)
}

// process is a running `referrals serve`.
type process struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serve starts `referrals serve` and waits until it is ready.
func serve(t *testing.T, env []string) *process {
	t.Helper()
	addr := freeAddr(t)
	p := &process{url: "http://" + addr, stderr: &lockedBuffer{}}
	p.cmd = exec.Command(binary(t), "serve")
	p.cmd.Env = append(env, "ADDR="+addr, "BASE_URL="+p.url)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
		if strings.Contains(p.stderr.String(), "panic") {
			t.Errorf("the server panicked:\n%s", p.stderr.String())
		}
	})
	waitFor(t, 30*time.Second, "the server to be ready", func() bool { return statusOf(p.url+"/readyz") == http.StatusOK })
	return p
}

// waitFor polls ok until it holds or the time is up.
func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting %s for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func statusOf(u string) int {
	res, err := http.Get(u)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// httpSignIn signs in through the form with a plain HTTP client and returns it.
func httpSignIn(t *testing.T, base, email string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfInput.FindSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on /login")
	}
	res, err = client.PostForm(base+"/login", url.Values{"email": {email}, "password": {models.DemoPassword}, "_csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", email, res.StatusCode)
	}
	return client
}

// privatePostgres is a PostgreSQL server of this test's own, so it can be stopped and
// started without disturbing anything else on the machine.
type privatePostgres struct {
	t    *testing.T
	dir  string
	port string
}

func pgBin(name string) string {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		return name
	}
	return matches[len(matches)-1]
}

// asPostgres runs a PostgreSQL tool as the postgres user when we are root, since the
// server refuses to run as root.
func asPostgres(args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--"}, args...)...)
	}
	return exec.Command(args[0], args[1:]...)
}

func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	dir, err := os.MkdirTemp("", "referrals-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("chown", "postgres", dir).CombinedOutput(); err != nil {
			t.Fatalf("chown: %v %s", err, out)
		}
	}
	_, port, _ := net.SplitHostPort(freeAddr(t))
	pg := &privatePostgres{t: t, dir: dir, port: port}
	if out, err := asPostgres(pgBin("initdb"), "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v: %s", err, out)
	}
	pg.start()
	t.Cleanup(func() {
		asPostgres(pgBin("pg_ctl"), "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop").Run()
		os.RemoveAll(dir)
	})
	return pg
}

func (pg *privatePostgres) start() {
	pg.t.Helper()
	out, err := asPostgres(pgBin("pg_ctl"), "-D", filepath.Join(pg.dir, "data"), "-l", filepath.Join(pg.dir, "log"), "-w",
		"-o", "-p "+pg.port+" -k "+pg.dir+" -c listen_addresses=127.0.0.1", "start").CombinedOutput()
	if err != nil {
		pg.t.Fatalf("pg_ctl start: %v: %s", err, out)
	}
}

// stop shuts the server down at once, dropping every connection.
func (pg *privatePostgres) stop() {
	pg.t.Helper()
	if out, err := asPostgres(pgBin("pg_ctl"), "-D", filepath.Join(pg.dir, "data"), "-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
		pg.t.Fatalf("pg_ctl stop: %v: %s", err, out)
	}
}

func (pg *privatePostgres) url() string {
	return "postgres://postgres@127.0.0.1:" + pg.port + "/postgres?sslmode=disable"
}

func TestPostgresOutageUnderLoadFailsCleanlyAndRecovers(t *testing.T) {
	pg := startPrivatePostgres(t)
	env := []string{"DATABASE_URL=" + pg.url(), "SESSION_SECRET=e2e-session-secret-of-at-least-32-bytes", "PATH=" + os.Getenv("PATH")}
	referrals(t, env, "migrate")
	referrals(t, env, "seed", "--demo", "--allow-localhost")
	srv := serve(t, env)
	maria := httpSignIn(t, srv.url, "maria@example.com")

	// Load: clients keep asking for the dashboard and the help page throughout.
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		resets   int
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, path := range []string{"/dashboard", "/help"} {
					res, err := maria.Get(srv.url + path)
					mu.Lock()
					if err != nil {
						resets++
					} else {
						statuses[res.StatusCode]++
					}
					mu.Unlock()
					if err == nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				}
			}
		})
	}
	time.Sleep(time.Second)
	pg.stop()
	waitFor(t, 15*time.Second, "/readyz to answer 503", func() bool { return statusOf(srv.url+"/readyz") == http.StatusServiceUnavailable })
	res, err := maria.Get(srv.url + "/dashboard")
	if err != nil {
		t.Fatalf("with the database down the dashboard request failed outright: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "<html") {
		t.Errorf("with the database down the dashboard answered %d (want an HTML 503 page)", res.StatusCode)
	}
	time.Sleep(time.Second)

	pg.start()
	waitFor(t, 30*time.Second, "/readyz to recover", func() bool { return statusOf(srv.url+"/readyz") == http.StatusOK })
	waitFor(t, 30*time.Second, "the dashboard to recover", func() bool {
		res, err := maria.Get(srv.url + "/dashboard")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	close(stop)
	wg.Wait()
	if srv.cmd.ProcessState != nil {
		t.Fatal("the server exited")
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("responses during the outage test: %v, connection errors: %d", statuses, resets)
	if resets > 0 {
		t.Errorf("%d requests got no HTTP answer at all", resets)
	}
	for code := range statuses {
		if code != http.StatusOK && code != http.StatusServiceUnavailable {
			t.Errorf("%d responses had status %d; want 200 or 503 only", statuses[code], code)
		}
	}
}

// approvedPayouts adds n referrals of Maria's (from the demo data) that qualified and whose
// payouts were approved into batch month, written directly as rows.
func approvedPayouts(t *testing.T, db *modelstest.DB, n int, month string) {
	t.Helper()
	ctx := t.Context()
	tx, err := db.Store.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	q := func(query string, args ...any) {
		t.Helper()
		if db.Store.Dialect() == models.Postgres {
			for i := 1; strings.Contains(query, "?"); i++ {
				query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
			}
		}
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	var mariaID, invitationID, programID int64
	row := tx.QueryRowContext(ctx, "SELECT i.referrer_id, i.id, i.program_id FROM invitations i JOIN users u ON u.id = i.referrer_id WHERE u.email = 'maria@example.com'")
	if err := row.Scan(&mariaID, &invitationID, &programID); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i := range n {
		email := fmt.Sprintf("paidfriend%d@example.com", i)
		q("INSERT INTO users (role, email, name, country, created_at, updated_at) VALUES ('freelancer', ?, ?, 'US', ?, ?)", email, fmt.Sprintf("Paid Friend %d", i), now, now)
		q(`INSERT INTO referrals (program_id, invitation_id, referrer_id, friend_id, registered_at, counted_cents, status, qualified_at)
			VALUES (?, ?, ?, (SELECT id FROM users WHERE email = ?), ?, 50000, 'qualified', ?)`, programID, invitationID, mariaID, email, now, now)
		q(`INSERT INTO payouts (referral_id, program_id, referrer_id, amount_cents, status, flags, decided_at, batch_month, created_at)
			VALUES ((SELECT r.id FROM referrals r JOIN users u ON u.id = r.friend_id WHERE u.email = ?), ?, ?, 10000, 'approved', '[]', ?, ?, ?)`,
			email, programID, mariaID, now, month, now)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestKillingAPayRunMidwayThenRerunningPaysEachPayoutOnce(t *testing.T) {
	const payouts, month = 1500, "2019-03"
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		env := []string{"DATABASE_URL=" + db.URL, "DATA_DIR=" + db.DataDir, "BASE_URL=" + modelstest.BaseURL, "PATH=" + os.Getenv("PATH")}
		referrals(t, env, "seed", "--demo")
		approvedPayouts(t, db, payouts, month)
		emailsBefore := db.Count(t, "emails", "kind = 'credit_paid'") // the demo's own paid credit

		// Start paying; SIGKILL the process once it has paid some but not all.
		cmd := exec.Command(binary(t), "payouts", "pay", "--month", month)
		cmd.Env = env
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines, buf := 0, make([]byte, 64<<10)
		for lines < 200 {
			n, err := out.Read(buf)
			lines += bytes.Count(buf[:n], []byte("\n"))
			if err != nil {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		credits := func() int64 {
			return db.Count(t, "ledger_entries", "payout_id IN (SELECT id FROM payouts WHERE batch_month = ?)", month)
		}
		paidBefore := credits()
		if paidBefore == 0 || paidBefore >= payouts {
			t.Fatalf("the kill came at %d of %d credits; want it midway", paidBefore, payouts)
		}

		referrals(t, env, "payouts", "pay", "--month", month)
		again := referrals(t, env, "payouts", "pay", "--month", month)
		if !strings.Contains(again, "nothing to pay") {
			t.Errorf("a third run says %q, want nothing to pay", again)
		}
		if got := credits(); got != payouts {
			t.Fatalf("%d ledger credits after the rerun, want %d (killed at %d)", got, payouts, paidBefore)
		}
		if got := db.Count(t, "payouts", "status = 'paid' AND batch_month = ?", month); got != payouts {
			t.Fatalf("%d payouts paid, want %d", got, payouts)
		}
		var total int64
		q := "SELECT SUM(amount_cents) FROM ledger_entries WHERE fee_cents = 0 AND payout_id IN (SELECT id FROM payouts WHERE batch_month = '" + month + "')"
		if err := db.Store.DB().QueryRow(q).Scan(&total); err != nil {
			t.Fatal(err)
		}
		if total != payouts*10000 {
			t.Fatalf("ledger total %d cents, want %d", total, payouts*10000)
		}
		if got := db.Count(t, "emails", "kind = 'credit_paid'") - emailsBefore; got != payouts {
			t.Errorf("%d credit-paid emails, want %d", got, payouts)
		}
	})
}
