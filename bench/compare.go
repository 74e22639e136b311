package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"referrals/models"
)

// Comparing two builds on a shared machine: the load from other work changes from one
// minute to the next, so two runs made at different times say little. bench-compare runs
// revision A and the working tree B on copies of one seeded database, one after the
// other, A B A B A B, and reports the median of each measurement and the ratio B/A.
// Every run gets a fresh copy of the seeded database, so ingestion and payment find the
// same data each time (payment pays a batch only once).

// compareBuild is one side of a comparison.
type compareBuild struct {
	label string
	bin   string
}

// compare measures builds a and b on each database, interleaved, for rounds rounds, and
// prints one table per database.
func compare(ctx context.Context, rc runConfig, dialects []string, a, b compareBuild, rounds int, instructions bool) error {
	for _, dialect := range dialects {
		run := rc
		run.dialect, run.full = models.Dialect(dialect), !rc.dashboardOnly
		fmt.Fprintf(os.Stderr, "== %s at scale %g: A = %s, B = %s, %d rounds\n", dialect, run.scale, a.label, b.label, rounds)
		seeded, took, err := prepare(ctx, run)
		if err != nil {
			return fmt.Errorf("%s: %w", dialect, err)
		}
		fmt.Fprintf(os.Stderr, "   seeded in %s\n", took.Round(time.Second))
		var as, bs []result
		var loads []string
		for round := range rounds {
			for _, side := range []compareBuild{a, b} {
				loads = append(loads, loadAverage())
				fmt.Fprintf(os.Stderr, "-- round %d, %s (load %s)\n", round+1, side.label, loads[len(loads)-1])
				r, err := measureCopy(ctx, run, seeded, side.bin)
				if err != nil {
					seeded.cleanup()
					return fmt.Errorf("%s, round %d, %s: %w", dialect, round+1, side.label, err)
				}
				if side == a {
					as = append(as, r)
				} else {
					bs = append(bs, r)
				}
			}
		}
		var counts [2]instructionCounts
		if instructions {
			for i, side := range []compareBuild{a, b} {
				fmt.Fprintf(os.Stderr, "-- instructions, %s\n", side.label)
				if counts[i], err = countInstructions(ctx, run, seeded, side.bin); err != nil {
					seeded.cleanup()
					return fmt.Errorf("%s, instructions of %s: %w", dialect, side.label, err)
				}
			}
		}
		seeded.cleanup()
		loads = append(loads, loadAverage())
		fmt.Printf("%s, scale %g, %d rounds interleaved (A B A B ...); A = %s, B = %s; 1-minute load averages %s\n",
			dialect, run.scale, rounds, a.label, b.label, strings.Join(loads, " "))
		printComparison(os.Stdout, as, bs)
		if instructions {
			printInstructions(os.Stdout, counts[0], counts[1])
		}
		fmt.Println()
	}
	return nil
}

// measureCopy measures bin on a fresh copy of the seeded database.
func measureCopy(ctx context.Context, rc runConfig, seeded *env, bin string) (result, error) {
	e, err := copyDatabase(ctx, rc, seeded)
	if err != nil {
		return result{}, fmt.Errorf("copy the seeded database: %w", err)
	}
	defer e.cleanup()
	rc.bin = bin
	return measureOn(ctx, rc, e)
}

// copyDatabase makes a copy of the seeded database: on PostgreSQL a database created
// from it as a template (a file copy, statistics and visibility map included), on SQLite
// a copy of its folder.
func copyDatabase(ctx context.Context, rc runConfig, seeded *env) (*env, error) {
	e := *seeded
	e.vars = slices.Clone(seeded.vars)
	switch rc.dialect {
	case models.SQLite:
		dir, err := os.MkdirTemp("", "referrals-bench-")
		if err != nil {
			return nil, err
		}
		if err := os.CopyFS(dir, os.DirFS(envValue(seeded.vars, "DATA_DIR"))); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		e.vars = setEnv(e.vars, "DATA_DIR", dir)
		e.cleanup = func() { os.RemoveAll(dir) }
		return &e, nil
	case models.Postgres:
		u, err := url.Parse(envValue(seeded.vars, "DATABASE_URL"))
		if err != nil {
			return nil, err
		}
		template := strings.TrimPrefix(u.Path, "/")
		name := template + "_copy"
		admin, err := sql.Open("pgx", rc.pgURL)
		if err != nil {
			return nil, err
		}
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+template+" STRATEGY FILE_COPY"); err != nil {
			admin.Close()
			return nil, err
		}
		u.Path = "/" + name
		e.vars = setEnv(e.vars, "DATABASE_URL", u.String())
		e.cleanup = func() {
			admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			admin.Close()
		}
		return &e, nil
	}
	return nil, fmt.Errorf("unknown database %q", rc.dialect)
}

// setEnv replaces key's value in env.
func setEnv(env []string, key, value string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, key+"=") })
	return append(out, key+"="+value)
}

// loadAverage is the machine's 1-minute load average, as uptime shows it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// buildRevision builds the referrals binary of git revision rev into bin/ (once per
// commit) from a clean export of that commit, and returns it.
func buildRevision(ctx context.Context, rev string) (compareBuild, error) {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--verify", rev+"^{commit}").Output()
	if err != nil {
		return compareBuild{}, fmt.Errorf("revision %q: %w", rev, err)
	}
	commit := strings.TrimSpace(string(out))[:12]
	bin, err := filepath.Abs(filepath.Join("bin", "referrals-"+commit))
	if err != nil {
		return compareBuild{}, err
	}
	build := compareBuild{label: commit, bin: bin}
	if _, err := os.Stat(bin); err == nil {
		return build, nil
	}
	dir, err := os.MkdirTemp("", "referrals-rev-")
	if err != nil {
		return compareBuild{}, err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(os.Stderr, "== building %s\n", commit)
	export := exec.CommandContext(ctx, "sh", "-c", `git archive "$1" | tar -x -C "$2"`, "sh", commit, dir)
	if out, err := export.CombinedOutput(); err != nil {
		return compareBuild{}, fmt.Errorf("export %s: %v: %s", commit, err, out)
	}
	goCmd := cmpOr(os.Getenv("GO"), "go")
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", bin+".tmp", "./cmd/referrals")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return compareBuild{}, fmt.Errorf("build %s: %v: %s", commit, err, out)
	}
	return build, os.Rename(bin+".tmp", bin)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// metric is one line of the comparison: how to read it from a run and write it.
type metric struct {
	name   string
	value  func(result) float64
	format func(float64) string
}

func comparisonMetrics(postgres bool) []metric {
	msf := func(v float64) string { return fmt.Sprintf("%.1fms", v) }
	cpuf := func(v float64) string { return fmt.Sprintf("%.2fms", v) }
	count := func(v float64) string { return fmt.Sprintf("%.0f", v) }
	toMS := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	m := []metric{
		{"dashboard, 1 client: p50", func(r result) float64 { return toMS(r.alone) }, msf},
		{"dashboard, 50 clients: req/s", func(r result) float64 { return r.dashboard.throughput }, count},
		{"  p50", func(r result) float64 { return toMS(r.dashboard.p50) }, msf},
		{"  p99", func(r result) float64 { return toMS(r.dashboard.p99) }, msf},
		{"  server CPU per request", func(r result) float64 { return toMS(r.dashboardCPU.server) }, cpuf},
		{"  PostgreSQL CPU per request", func(r result) float64 { return toMS(r.dashboardCPU.db) }, cpuf},
		{"review queue, 50 clients: req/s", func(r result) float64 { return r.queue.throughput }, count},
		{"  p50", func(r result) float64 { return toMS(r.queue.p50) }, msf},
		{"  p99", func(r result) float64 { return toMS(r.queue.p99) }, msf},
		{"  server CPU per request", func(r result) float64 { return toMS(r.queueCPU.server) }, cpuf},
		{"  PostgreSQL CPU per request", func(r result) float64 { return toMS(r.queueCPU.db) }, cpuf},
		{"ingestion: events/s", func(r result) float64 { return r.ingestRate }, count},
		{"  server CPU per 1000 events", func(r result) float64 { return toMS(r.ingestCPU.server) }, cpuf},
		{"  PostgreSQL CPU per 1000 events", func(r result) float64 { return toMS(r.ingestCPU.db) }, cpuf},
		{"payment: payouts/s", func(r result) float64 { return r.payRate }, count},
		{"  the command's CPU", func(r result) float64 { return toMS(r.payCPU) }, func(v float64) string { return fmt.Sprintf("%.0fms", v) }},
		{"server peak RSS MB", func(r result) float64 { return float64(r.peakRSSKiB) / 1024 }, count},
	}
	if !postgres {
		m = slices.DeleteFunc(m, func(m metric) bool { return strings.Contains(m.name, "PostgreSQL") })
	}
	return m
}

// adminMetrics are the admin pages' lines of the comparison (each run measures the same
// pages in the same order): p99 and the CPU per request, which is what tells two builds
// apart on a loaded machine.
func adminMetrics(pages []adminResult, postgres bool) []metric {
	msf := func(v float64) string { return fmt.Sprintf("%.1fms", v) }
	cpuf := func(v float64) string { return fmt.Sprintf("%.2fms", v) }
	toMS := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	at := func(r result, i int) adminResult {
		if i < len(r.admin) {
			return r.admin[i]
		}
		return adminResult{}
	}
	var m []metric
	for i, p := range pages {
		m = append(m,
			metric{"admin " + p.page.name + ": p99", func(r result) float64 { return toMS(at(r, i).load.p99) }, msf},
			metric{"  server CPU per request", func(r result) float64 { return toMS(at(r, i).cpu.server) }, cpuf})
		if postgres {
			m = append(m, metric{"  PostgreSQL CPU per request", func(r result) float64 { return toMS(at(r, i).cpu.db) }, cpuf})
		}
	}
	return m
}

// printComparison writes each metric's median for A and for B, with the range of the
// runs, and the ratio of the medians B/A.
func printComparison(w io.Writer, as, bs []result) {
	if len(as) == 0 || len(bs) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measurement\tA median\t(range)\tB median\t(range)\tB/A\t")
	postgres := as[0].dialect == models.Postgres
	for _, m := range append(comparisonMetrics(postgres), adminMetrics(as[0].admin, postgres)...) {
		am, alo, ahi := spread(as, m.value)
		bm, blo, bhi := spread(bs, m.value)
		ratio := "-"
		if am != 0 {
			ratio = fmt.Sprintf("%.2fx", bm/am)
		}
		fmt.Fprintf(tw, "%s\t%s\t(%s-%s)\t%s\t(%s-%s)\t%s\t\n", m.name, m.format(am), m.format(alo), m.format(ahi),
			m.format(bm), m.format(blo), m.format(bhi), ratio)
	}
	tw.Flush()
	var errs []string
	for _, r := range append(slices.Clone(as), bs...) {
		n := r.dashboard.errors + r.queue.errors
		for _, a := range r.admin {
			n += a.load.errors
		}
		if n > 0 {
			errs = append(errs, fmt.Sprintf("%d", n))
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(w, "errors in some runs: %s\n", strings.Join(errs, ", "))
	}
}

// spread is the median, minimum and maximum of a metric over runs.
func spread(runs []result, value func(result) float64) (median, lo, hi float64) {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = value(r)
	}
	slices.Sort(v)
	n := len(v)
	median = v[n/2]
	if n%2 == 0 {
		median = (v[n/2-1] + v[n/2]) / 2
	}
	return median, v[0], v[n-1]
}

// printInstructions writes the instruction counts of A and B and their ratio.
func printInstructions(w io.Writer, a, b instructionCounts) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "instructions (callgrind, one run each)\tA\tB\tB/A\t")
	for _, line := range []struct {
		name string
		a, b float64
	}{
		{"dashboard, per request", a.dashboard, b.dashboard},
		{"review queue, per request", a.queue, b.queue},
		{"ingestion, per 1000 events", a.ingest, b.ingest},
		{"payment, the command's per payout", a.pay, b.pay},
	} {
		fmt.Fprintf(tw, "%s\t%.2fM\t%.2fM\t%.2fx\t\n", line.name, line.a/1e6, line.b/1e6, line.b/line.a)
	}
	tw.Flush()
}
