// Command bench measures the product at a stated scale on SQLite and on PostgreSQL: it
// seeds a database, runs the real `referrals serve` binary on loopback, and measures the
// referrer dashboard and the admin review queue under 50 concurrent clients (vegeta),
// earnings ingestion through the signed API in batches of 1000, paying a batch of
// approved payouts with `referrals payouts pay`, and the server's peak RSS. It prints one
// table. Each database is measured at the scale asked for and at a tenth of it, to show
// that the dashboard's cost does not grow with the data.
//
// With -load it runs the load test instead: the dashboard at a steady rate for a fixed
// time, failing on any error. With -compare REV it measures the build of a git revision
// against the working tree's, interleaved on the same data (see compare.go).
//
// Run it with `make bench` and `make load` (see the README for the flags).
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"referrals/models"
)

func main() {
	scaleFlag := flag.Float64("scale", 1, "data size: 1 is 100,000 freelancers, 200,000 referrals, 1,000,000 earnings, 10,000 approved payouts (default 0.02 with -load)")
	duration := flag.Duration("duration", 10*time.Second, "length of each closed-loop phase")
	dbs := flag.String("dbs", "sqlite,postgres", "databases to measure, comma-separated (default sqlite with -load)")
	bin := flag.String("bin", "bin/referrals", "the referrals binary")
	pgURL := flag.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server to create the bench databases on")
	load := flag.Duration("load", 0, "run the load test for this long instead of the benchmark")
	rate := flag.Int("rate", 200, "requests per second of the load test")
	keep := flag.Bool("keep", false, "only seed each database at -scale, keep it and say where it is (to look at query plans)")
	timeout := flag.Duration("timeout", 20*time.Minute, "give up (and clean up) after this long (default 60m with -compare)")
	compareRev := flag.String("compare", "", "compare the build of this git revision (A) with -bin (B) on one seeded database per -dbs, interleaved over -rounds")
	rounds := flag.Int("rounds", 3, "with -compare, how many times each build is measured")
	instructions := flag.Bool("instructions", false, "with -compare, also count each build's instructions per request under valgrind's callgrind (a few minutes more)")
	dashboardOnly := flag.Bool("dashboard-only", false, "with -compare, measure the dashboard phases only (a few minutes instead of half an hour while working on that page)")
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })

	// Interrupted or too slow, the run stops where it is and still drops its databases
	// and stops its server.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *compareRev != "" && !set["timeout"] {
		*timeout = time.Hour
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	rc := runConfig{scale: *scaleFlag, duration: *duration, bin: *bin, pgURL: *pgURL, dashboardOnly: *dashboardOnly}
	var err error
	switch {
	case *load > 0:
		if !set["scale"] {
			rc.scale = 0.02
		}
		if !set["dbs"] {
			*dbs = "sqlite"
		}
		err = loadTests(ctx, rc, strings.Split(*dbs, ","), *load, *rate)
	case *compareRev != "":
		var a compareBuild
		if a, err = buildRevision(ctx, *compareRev); err == nil {
			err = compare(ctx, rc, strings.Split(*dbs, ","), a, compareBuild{label: "working tree", bin: rc.bin}, *rounds, *instructions)
		}
	case *keep:
		err = keepSeeded(ctx, rc, strings.Split(*dbs, ","))
	default:
		err = benchmark(ctx, rc, strings.Split(*dbs, ","))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		cancel()
		os.Exit(1)
	}
}

// benchmark measures each database at rc's scale and at a tenth of it and prints the
// table.
func benchmark(ctx context.Context, rc runConfig, dialects []string) error {
	var rows []result
	for _, dialect := range dialects {
		for _, f := range []float64{rc.scale / 10, rc.scale} {
			fmt.Fprintf(os.Stderr, "== %s at scale %g\n", dialect, f)
			run := rc
			run.dialect, run.scale, run.full = models.Dialect(dialect), f, f == rc.scale
			r, err := measure(ctx, run)
			if err != nil {
				return fmt.Errorf("%s at scale %g: %w", dialect, f, err)
			}
			rows = append(rows, r)
		}
	}
	printTable(os.Stdout, rows)
	printAdminTable(os.Stdout, rows)
	return nil
}

// loadTests runs the load test on each database; any error fails the whole.
func loadTests(ctx context.Context, rc runConfig, dialects []string, d time.Duration, rate int) error {
	var errs []error
	for _, dialect := range dialects {
		rc.dialect = models.Dialect(dialect)
		if err := loadTest(ctx, rc, d, rate); err != nil {
			errs = append(errs, fmt.Errorf("load test on %s: %w", dialect, err))
		}
	}
	return errors.Join(errs...)
}

// keepSeeded seeds each database at rc's scale and leaves it, saying where it is.
func keepSeeded(ctx context.Context, rc runConfig, dialects []string) error {
	for _, dialect := range dialects {
		rc.dialect = models.Dialect(dialect)
		e, took, err := prepare(ctx, rc)
		if err != nil {
			return fmt.Errorf("%s: %w", dialect, err)
		}
		fmt.Printf("%s at scale %g, seeded in %s: %s\n", dialect, rc.scale, took.Round(time.Second), envValue(e.vars, "DATABASE_URL")+envValue(e.vars, "DATA_DIR"))
	}
	return nil
}

type runConfig struct {
	dialect  models.Dialect
	scale    float64
	duration time.Duration
	bin      string
	pgURL    string
	// full runs every measurement; otherwise only the dashboard (the 10x comparison).
	full bool
	// dashboardOnly makes a comparison measure the dashboard only (-dashboard-only).
	dashboardOnly bool
}

// result is one row of the table.
type result struct {
	dialect  models.Dialect
	scale    float64
	seedTime time.Duration
	// alone is the dashboard's latency with one client: the cost of one page, no queueing.
	alone        time.Duration
	dashboard    loadResult
	dashboardCPU cpuCost
	queue        loadResult
	queueCPU     cpuCost
	ingestRate   float64
	// ingestCPU is per batch of 1000 events.
	ingestCPU cpuCost
	payRate   float64
	// payCPU is the pay command's own CPU time.
	payCPU     time.Duration
	peakRSSKiB int64
	// admin is each admin page under load; export the referrals CSV (bench/admin.go).
	admin  []adminResult
	export exportResult
}

// env is a seeded database and the environment that points the binary at it.
type env struct {
	vars     []string
	scale    scale
	seededAt time.Time
	cleanup  func()
}

// prepare creates, migrates and seeds a database for one run.
func prepare(ctx context.Context, rc runConfig) (*env, time.Duration, error) {
	vars, cleanup, err := database(ctx, rc)
	if err != nil {
		return nil, 0, err
	}
	e := &env{vars: vars, scale: newScale(rc.scale), seededAt: time.Now().UTC(), cleanup: cleanup}
	if out, err := run(ctx, rc.bin, vars, "migrate"); err != nil {
		cleanup()
		return nil, 0, fmt.Errorf("migrate: %v: %s", err, out)
	}
	store, err := models.Open(ctx, models.Options{DatabaseURL: envValue(vars, "DATABASE_URL"), DataDir: envValue(vars, "DATA_DIR")})
	if err != nil {
		cleanup()
		return nil, 0, err
	}
	start := time.Now()
	err = seed(ctx, store.DB(), store.Dialect(), e.scale, e.seededAt)
	store.Close()
	if err != nil {
		cleanup()
		return nil, 0, fmt.Errorf("seed: %w", err)
	}
	return e, time.Since(start), nil
}

func measure(ctx context.Context, rc runConfig) (result, error) {
	e, seedTime, err := prepare(ctx, rc)
	if err != nil {
		return result{dialect: rc.dialect, scale: rc.scale}, err
	}
	defer e.cleanup()
	fmt.Fprintf(os.Stderr, "   seeded in %s\n", seedTime.Round(time.Second))
	res, err := measureOn(ctx, rc, e)
	res.seedTime = seedTime
	return res, err
}

// measureOn runs rc.bin on the seeded database of e and measures each phase.
func measureOn(ctx context.Context, rc runConfig, e *env) (result, error) {
	res := result{dialect: rc.dialect, scale: rc.scale}
	srv, err := startServer(rc.bin, e.vars)
	if err != nil {
		return res, err
	}
	defer srv.stop()
	meter, err := newCPUMeter(srv, envValue(e.vars, "DATABASE_URL"))
	if err != nil {
		return res, err
	}
	defer meter.close()

	referrers, err := signInReferrers(srv.url, e.scale)
	if err != nil {
		return res, err
	}
	if res.alone, err = alone(srv.url+"/dashboard", referrers, 200); err != nil {
		return res, err
	}
	fmt.Fprintf(os.Stderr, "   dashboard, one client: p50 %s\n", ms(res.alone))
	cpu := meter.read()
	res.dashboard = attack(ctx, srv.url+"/dashboard", referrers, rc.duration)
	res.dashboardCPU = meter.since(cpu, res.dashboard.requests)
	fmt.Fprintf(os.Stderr, "   dashboard, %d clients: %s; CPU per request: %s\n", clients, res.dashboard, res.dashboardCPU)
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if rc.full {
		admin, err := signIn(srv.url, adminEmail)
		if err != nil {
			return res, err
		}
		if err := expectPage(srv.url+"/admin/payouts", admin, friendEmail(e.scale.oldestPending())); err != nil {
			return res, err
		}
		cpu := meter.read()
		res.queue = attack(ctx, srv.url+"/admin/payouts", []string{admin}, rc.duration)
		res.queueCPU = meter.since(cpu, res.queue.requests)
		fmt.Fprintf(os.Stderr, "   review queue, %d clients: %s; CPU per request: %s\n", clients, res.queue, res.queueCPU)
		if res.admin, res.export, err = measureAdmin(ctx, srv, meter, admin, e.scale, rc.duration); err != nil {
			return res, fmt.Errorf("admin pages: %w", err)
		}
		cpu = meter.read()
		if res.ingestRate, err = ingest(ctx, srv.url, envValue(e.vars, "WEBHOOK_SECRET"), e.scale, ingestBatches); err != nil {
			return res, fmt.Errorf("ingest: %w", err)
		}
		res.ingestCPU = meter.since(cpu, ingestBatches)
		fmt.Fprintf(os.Stderr, "   ingestion %.0f events/s; CPU per batch of 1000: %s\n", res.ingestRate, res.ingestCPU)
		if res.payRate, res.payCPU, err = pay(ctx, rc.bin, e.vars, payMonth(e.seededAt), e.scale.Approved); err != nil {
			return res, err
		}
		fmt.Fprintf(os.Stderr, "   batch payment %.0f payouts/s; the command's CPU: %s\n", res.payRate, res.payCPU.Round(time.Millisecond))
	}
	res.peakRSSKiB = srv.peakRSS()
	return res, nil
}

// ingestBatches is how many batches of 1000 earnings the ingestion phase posts.
const ingestBatches = 20

// pay runs `referrals payouts pay` on the seeded batch, checks it paid every approved
// payout, and returns payouts per second and the CPU time the command used (user and
// system).
func pay(ctx context.Context, bin string, vars []string, month string, want int) (float64, time.Duration, error) {
	start := time.Now()
	out, state, err := runState(ctx, bin, vars, "payouts", "pay", "--month", month)
	elapsed := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("payouts pay: %v: %s", err, tail(out))
	}
	summary := fmt.Sprintf("batch %s: paid %s payouts,", month, strconv.Itoa(want))
	if !strings.Contains(out, summary) || strings.Count(out, "paid payout ") != want {
		return 0, 0, fmt.Errorf("payouts pay did not pay the %d approved payouts: %s", want, tail(out))
	}
	return float64(want) / elapsed.Seconds(), state.UserTime() + state.SystemTime(), nil
}

// tail is the end of a command's output, for an error message.
func tail(out string) string {
	if len(out) > 500 {
		return "..." + out[len(out)-500:]
	}
	return out
}

// signInReferrers signs in up to 50 referrers and checks their dashboard shows their
// friends, so the bench measures the real page.
func signInReferrers(base string, sc scale) ([]string, error) {
	var cookies []string
	for i := range min(clients, sc.Referrers) {
		c, err := signIn(base, referrerEmail(i))
		if err != nil {
			return nil, err
		}
		cookies = append(cookies, c)
	}
	// Referrer 0's friends are friends 0, Referrers, 2*Referrers...: the first is shown.
	if err := expectPage(base+"/dashboard", cookies[0], personName(0*7+3)); err != nil {
		return nil, err
	}
	return cookies, nil
}

// expectPage fetches a page once and checks it answers 200 and shows want.
func expectPage(pageURL, cookie, want string) error {
	req, _ := http.NewRequest(http.MethodGet, pageURL, nil)
	req.Header.Set("Cookie", cookie)
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", pageURL, res.StatusCode)
	}
	if !strings.Contains(string(body), html.EscapeString(want)) {
		return fmt.Errorf("GET %s does not show %q", pageURL, want)
	}
	return nil
}

// database creates an empty database for one run and returns the environment that
// points the binary at it.
func database(ctx context.Context, rc runConfig) (env []string, cleanup func(), err error) {
	base := []string{
		"SESSION_SECRET=bench-session-secret-of-at-least-32-bytes",
		"WEBHOOK_SECRET=bench-webhook-secret-of-at-least-32-bytes",
		// The pay run emails links: on PostgreSQL a localhost BASE_URL is refused.
		"BASE_URL=https://referrals.bench.example",
		"PATH=" + os.Getenv("PATH"),
	}
	switch rc.dialect {
	case models.SQLite:
		dir, err := os.MkdirTemp("", "referrals-bench-")
		if err != nil {
			return nil, nil, err
		}
		return append(base, "DATA_DIR="+dir), func() { os.RemoveAll(dir) }, nil
	case models.Postgres:
		admin, err := sql.Open("pgx", rc.pgURL)
		if err != nil {
			return nil, nil, err
		}
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		name := "referrals_bench_" + hex.EncodeToString(b)
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			admin.Close()
			return nil, nil, err
		}
		u, _ := url.Parse(rc.pgURL)
		u.Path = "/" + name
		return append(base, "DATABASE_URL="+u.String()), func() {
			admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			admin.Close()
		}, nil
	}
	return nil, nil, fmt.Errorf("unknown database %q", rc.dialect)
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// commandTimeout bounds each run of the binary (migrate, payouts pay).
const commandTimeout = 5 * time.Minute

// run runs the binary to completion and returns its combined output.
func run(ctx context.Context, bin string, env []string, args ...string) (string, error) {
	out, _, err := runState(ctx, bin, env, args...)
	return out, err
}

// runState is run, also returning how the process ended (its CPU time among others).
func runState(ctx context.Context, bin string, env []string, args ...string) (string, *os.ProcessState, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), cmd.ProcessState, err
}

// server is a running `referrals serve`.
type server struct {
	cmd *exec.Cmd
	url string
}

func startServer(bin string, env []string) (*server, error) {
	return startCommand([]string{bin, "serve"}, env, 30*time.Second)
}

// startCommand starts the server with the command line args (the binary and "serve",
// perhaps after a wrapper) and waits up to wait for it to be ready.
func startCommand(args []string, env []string, wait time.Duration) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	u := "http://" + addr
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(env, "ADDR="+addr, "BASE_URL="+u)
	// The server goes when the bench goes, however it ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// The server logs every request: keep the log out of the terminal.
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: u}
	for start := time.Now(); time.Since(start) < wait; time.Sleep(100 * time.Millisecond) {
		if res, err := httpClient.Get(u + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, fmt.Errorf("the server did not become ready in %s", wait)
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// cpuTime is the CPU time the server has used so far (user and system).
func (s *server) cpuTime() time.Duration { return processCPU(s.cmd.Process.Pid) }

// processCPU is the CPU time process pid has used so far, from /proc/PID/stat in clock
// ticks of 10 ms; 0 when it is gone.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses: utime and stime are
	// the 12th and 13th of them.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(f[11], 10, 64)
	sys, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(user+sys) * 10 * time.Millisecond
}

// peakRSS is the server's high-water resident set size in KiB (Linux VmHWM).
func (s *server) peakRSS() int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(s.cmd.Process.Pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// httpClient is the bench's client outside vegeta; its timeout bounds every request.
var httpClient = &http.Client{Timeout: time.Minute}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn signs in through the form and returns the Cookie header of the session.
func signIn(base, email string) (string, error) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(base + "/login")
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(body)
	if m == nil {
		return "", errors.New("no CSRF token on /login")
	}
	res, err = client.PostForm(base+"/login", url.Values{"email": {email}, "password": {benchPassword}, "_csrf": {string(m[1])}})
	if err != nil {
		return "", err
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	// Staff answer with a TOTP code, on the code form's own CSRF token (the password step
	// starts a new session). A code works once, so a second sign-in within its 30 seconds
	// waits for the next one.
	if m = csrfField.FindSubmatch(body); m == nil && res.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("sign in as %s: status %d without a form", email, res.StatusCode)
	}
	for try := 0; email == adminEmail && res.StatusCode != http.StatusSeeOther && try < 2; try++ {
		if try > 0 {
			time.Sleep(time.Until(time.Now().Truncate(30 * time.Second).Add(30*time.Second + 100*time.Millisecond)))
		}
		code, err := models.TOTPCode(benchTOTPSecret, time.Now())
		if err != nil {
			return "", err
		}
		if res, err = client.PostForm(base+"/login/mfa", url.Values{"code": {code}, "_csrf": {string(m[1])}}); err != nil {
			return "", err
		}
		res.Body.Close()
	}
	if res.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("sign in as %s: status %d", email, res.StatusCode)
	}
	// The first page after signing in, as a browser loads it.
	res, err = client.Get(base + res.Header.Get("Location"))
	if err != nil {
		return "", err
	}
	res.Body.Close()
	u, _ := url.Parse(base)
	var parts []string
	for _, c := range jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; "), nil
}

func printTable(w io.Writer, rows []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tscale\tseed\tdashboard 1 client p50\t50 clients req/s\tp50\tp99\terrors\tCPU/req server\tPG\tqueue req/s\tp50\tp99\terrors\tingest events/s\tCPU/1000 server\tPG\tpay payouts/s\tpay CPU\tpeak RSS MB\t")
	for _, r := range rows {
		dash := []string{ms(r.alone), fmt.Sprintf("%.0f", r.dashboard.throughput), ms(r.dashboard.p50), ms(r.dashboard.p99), fmt.Sprint(r.dashboard.errors),
			ms2(r.dashboardCPU.server), dbCPU(r.dashboardCPU)}
		rest := []string{"-", "-", "-", "-", "-", "-", "-", "-", "-"}
		if r.queue.requests > 0 {
			rest = []string{fmt.Sprintf("%.0f", r.queue.throughput), ms(r.queue.p50), ms(r.queue.p99), fmt.Sprint(r.queue.errors),
				fmt.Sprintf("%.0f", r.ingestRate), ms(r.ingestCPU.server), dbCPU(r.ingestCPU), fmt.Sprintf("%.0f", r.payRate),
				fmt.Sprintf("%.2fs", r.payCPU.Seconds())}
		}
		fmt.Fprintf(tw, "%s\t%g\t%s\t%s\t%s\t%.0f\t\n", r.dialect, r.scale, r.seedTime.Round(time.Second),
			strings.Join(dash, "\t"), strings.Join(rest, "\t"), float64(r.peakRSSKiB)/1024)
	}
	tw.Flush()
	// The indexes claim: the dashboard at 10x the data stays within 1.5x the latency.
	for i := 0; i+1 < len(rows); i += 2 {
		small, big := rows[i], rows[i+1]
		if small.alone > 0 && small.dashboard.p50 > 0 {
			fmt.Fprintf(w, "%s: dashboard latency at scale %g vs scale %g (10x the data; target <= 1.5x): one client p50 %.2fx, 50 clients p50 %.2fx, p99 %.2fx\n",
				big.dialect, big.scale, small.scale, ratio(big.alone, small.alone), ratio(big.dashboard.p50, small.dashboard.p50), ratio(big.dashboard.p99, small.dashboard.p99))
		}
	}
}

// cpuMeter measures what a phase costs in CPU time, whatever else the machine is busy
// with: the server's, and on PostgreSQL that of the database processes serving the
// bench database (on SQLite the database runs inside the server).
type cpuMeter struct {
	srv *server
	pg  *sql.DB // nil on SQLite
}

// cpuReading is the CPU time used so far by the server and by each database process.
type cpuReading struct {
	app time.Duration
	db  map[int]time.Duration
}

func newCPUMeter(srv *server, databaseURL string) (*cpuMeter, error) {
	m := &cpuMeter{srv: srv}
	if databaseURL != "" {
		db, err := sql.Open("pgx", databaseURL)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		m.pg = db
	}
	return m, nil
}

func (m *cpuMeter) close() {
	if m.pg != nil {
		m.pg.Close()
	}
}

func (m *cpuMeter) read() cpuReading {
	r := cpuReading{app: m.srv.cpuTime(), db: map[int]time.Duration{}}
	if m.pg == nil {
		return r
	}
	rows, err := m.pg.Query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
	if err != nil {
		return r
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			r.db[pid] = processCPU(pid)
		}
	}
	return r
}

// cpuCost is the CPU time per request (or per batch) of the server and of PostgreSQL
// (zero on SQLite, whose work is the server's).
type cpuCost struct {
	server, db time.Duration
	postgres   bool
}

func (c cpuCost) String() string {
	if !c.postgres {
		return "server " + ms2(c.server)
	}
	return "server " + ms2(c.server) + ", PostgreSQL " + ms2(c.db)
}

// since is the CPU time per request of the n requests made since start.
func (m *cpuMeter) since(start cpuReading, n uint64) cpuCost {
	if n == 0 {
		return cpuCost{}
	}
	now := m.read()
	var db time.Duration
	for pid, t := range now.db {
		db += t - start.db[pid]
	}
	return cpuCost{server: (now.app - start.app) / time.Duration(n), db: db / time.Duration(n), postgres: m.pg != nil}
}

// dbCPU is PostgreSQL's part of a CPU cost, "-" on SQLite.
func dbCPU(c cpuCost) string {
	if !c.postgres {
		return "-"
	}
	if c.db >= 10*time.Millisecond {
		return ms(c.db)
	}
	return ms2(c.db)
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

// ms2 is ms with two decimals, for CPU times per request.
func ms2(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
