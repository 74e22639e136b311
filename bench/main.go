// Command bench measures the product at a stated scale on SQLite and on PostgreSQL: it
// seeds a database, runs the real `referrals serve` binary on loopback, and measures the
// referrer dashboard and the admin review queue under 50 concurrent clients (vegeta),
// earnings ingestion through the signed API in batches of 1000, paying a batch of
// approved payouts with `referrals payouts pay`, and the server's peak RSS. It prints one
// table. Run it with `make bench` (flags: -scale, -duration, -dbs).
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
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
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"referrals/models"
	"referrals/views"
)

func main() {
	scaleFlag := flag.Float64("scale", 1, "data size: 1 is 100,000 freelancers, 200,000 referrals, 1,000,000 earnings, 10,000 approved payouts")
	duration := flag.Duration("duration", 10*time.Second, "length of each load phase")
	dbs := flag.String("dbs", "sqlite,postgres", "databases to measure")
	bin := flag.String("bin", "bin/referrals", "the referrals binary")
	pgURL := flag.String("postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server to create the bench databases on")
	flag.Parse()

	ctx := context.Background()
	var rows []result
	for _, dialect := range strings.Split(*dbs, ",") {
		for _, f := range []float64{*scaleFlag / 10, *scaleFlag} {
			fmt.Fprintf(os.Stderr, "== %s at scale %g\n", dialect, f)
			r, err := measure(ctx, runConfig{dialect: models.Dialect(dialect), scale: f, duration: *duration, bin: *bin, pgURL: *pgURL, full: f == *scaleFlag})
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: %s at scale %g: %v\n", dialect, f, err)
				os.Exit(1)
			}
			rows = append(rows, r)
		}
	}
	printTable(os.Stdout, rows)
}

type runConfig struct {
	dialect  models.Dialect
	scale    float64
	duration time.Duration
	bin      string
	pgURL    string
	// full runs every measurement; otherwise only the dashboard (the 10x comparison).
	full bool
}

// result is one row of the table.
type result struct {
	dialect    models.Dialect
	scale      float64
	seedTime   time.Duration
	dashboard  loadResult
	queue      loadResult
	ingestRate float64
	payRate    float64
	payouts    int
	peakRSSKiB int64
}

func measure(ctx context.Context, rc runConfig) (result, error) {
	res := result{dialect: rc.dialect, scale: rc.scale}
	env, cleanup, err := database(ctx, rc)
	if err != nil {
		return res, err
	}
	defer cleanup()

	if out, err := run(rc.bin, env, "migrate"); err != nil {
		return res, fmt.Errorf("migrate: %v: %s", err, out)
	}
	store, err := models.Open(ctx, models.Options{DatabaseURL: envValue(env, "DATABASE_URL"), DataDir: envValue(env, "DATA_DIR"), Emails: views.Emails{}})
	if err != nil {
		return res, err
	}
	sc := newScale(rc.scale)
	start := time.Now()
	err = seed(ctx, store.DB(), store.Dialect(), sc, time.Now().UTC())
	store.Close()
	if err != nil {
		return res, fmt.Errorf("seed: %w", err)
	}
	res.seedTime = time.Since(start)
	fmt.Fprintf(os.Stderr, "   seeded in %s\n", res.seedTime.Round(time.Second))

	srv, err := startServer(rc.bin, env)
	if err != nil {
		return res, err
	}
	defer srv.stop()

	var referrerCookies []string
	for i := range min(50, sc.Referrers) {
		c, err := signIn(srv.url, referrerEmail(i))
		if err != nil {
			return res, err
		}
		referrerCookies = append(referrerCookies, c)
	}
	res.dashboard = attack(srv.url+"/dashboard", referrerCookies, rc.duration)
	fmt.Fprintf(os.Stderr, "   dashboard %s\n", res.dashboard)
	if rc.full {
		admin, err := signIn(srv.url, adminEmail)
		if err != nil {
			return res, err
		}
		res.queue = attack(srv.url+"/admin/payouts", []string{admin}, rc.duration)
		fmt.Fprintf(os.Stderr, "   review queue %s\n", res.queue)
		if res.ingestRate, err = ingest(srv.url, envValue(env, "WEBHOOK_SECRET"), sc, 20); err != nil {
			return res, fmt.Errorf("ingest: %w", err)
		}
		fmt.Fprintf(os.Stderr, "   ingestion %.0f events/s\n", res.ingestRate)
		res.payouts = sc.Approved
		start := time.Now()
		if out, err := run(rc.bin, env, "payouts", "pay", "--month", payMonth(time.Now().UTC())); err != nil {
			return res, fmt.Errorf("payouts pay: %v: %s", err, out)
		}
		res.payRate = float64(sc.Approved) / time.Since(start).Seconds()
		fmt.Fprintf(os.Stderr, "   batch payment %.0f payouts/s\n", res.payRate)
	}
	res.peakRSSKiB = srv.peakRSS()
	return res, nil
}

// database creates an empty database for one run and returns the environment that
// points the binary at it.
func database(ctx context.Context, rc runConfig) (env []string, cleanup func(), err error) {
	base := []string{
		"SESSION_SECRET=bench-session-secret-of-at-least-32-bytes",
		"WEBHOOK_SECRET=bench-webhook-secret",
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

// run runs the binary to completion and returns its combined output.
func run(bin string, env []string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// server is a running `referrals serve`.
type server struct {
	cmd *exec.Cmd
	url string
}

func startServer(bin string, env []string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	u := "http://" + addr
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(env, "ADDR="+addr, "BASE_URL="+u)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	logFile, err := os.CreateTemp("", "referrals-bench-server-*.log")
	if err == nil {
		cmd.Stderr = logFile
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, url: u}
	for range 300 {
		if res, err := http.Get(u + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, errors.New("the server did not become ready in 30 s")
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
	}
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

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn signs in through the form and returns the Cookie header of the session.
func signIn(base, email string) (string, error) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
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
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("sign in as %s: status %d", email, res.StatusCode)
	}
	u, _ := url.Parse(base)
	var parts []string
	for _, c := range jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; "), nil
}

func printTable(w io.Writer, rows []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tscale\tseed\tdashboard req/s\tp50\tp99\terrors\tqueue req/s\tp50\tp99\terrors\tingest events/s\tpay payouts/s\tpeak RSS MB\t")
	for _, r := range rows {
		dash := []string{fmt.Sprintf("%.0f", r.dashboard.throughput), ms(r.dashboard.p50), ms(r.dashboard.p99), fmt.Sprint(r.dashboard.errors)}
		rest := []string{"-", "-", "-", "-", "-", "-"}
		if r.queue.requests > 0 {
			rest = []string{fmt.Sprintf("%.0f", r.queue.throughput), ms(r.queue.p50), ms(r.queue.p99), fmt.Sprint(r.queue.errors),
				fmt.Sprintf("%.0f", r.ingestRate), fmt.Sprintf("%.0f", r.payRate)}
		}
		fmt.Fprintf(tw, "%s\t%g\t%s\t%s\t%s\t%.0f\t\n", r.dialect, r.scale, r.seedTime.Round(time.Second),
			strings.Join(dash, "\t"), strings.Join(rest, "\t"), float64(r.peakRSSKiB)/1024)
	}
	tw.Flush()
	// The indexes claim: the dashboard at 10x the data stays within 1.5x the latency.
	for i := 0; i+1 < len(rows); i += 2 {
		small, big := rows[i], rows[i+1]
		if small.dashboard.p50 > 0 {
			fmt.Fprintf(w, "%s: dashboard p50 at scale %g is %.2fx of scale %g (target <= 1.5x)\n",
				big.dialect, big.scale, float64(big.dashboard.p50)/float64(small.dashboard.p50), small.scale)
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
