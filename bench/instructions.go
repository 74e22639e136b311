package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// CPU time per request depends on what else the machine runs (shared caches, the other
// hyperthread, the clock speed, how often the scheduler moves the threads); the number of
// instructions executed hardly does. With -instructions, bench-compare also runs each
// build once under valgrind's callgrind, on a copy of the seeded database of its own, and
// counts the instructions of each phase: callgrind_control zeroes the counters before a
// phase and dumps them after it. The count covers the whole server process (handlers, GC,
// River's background work during the phase), not the database's. Go's asynchronous
// preemption signals upset callgrind, so they are off for these runs, and the runs use one
// processor (GOMAXPROCS=1): with two, the instructions of threads spinning for work vary
// with the timing, by up to a third from one run of the same build to the next; with one,
// two runs agree within about 1%.

// instructionCounts are the server's instructions per dashboard request, per review
// queue request, per batch of 1000 events, and the pay command's per payout (its start
// included).
type instructionCounts struct {
	dashboard, queue, ingest, pay float64
}

// Sequential requests counted per phase, after a warm-up.
const (
	countedDashboards = 100
	countedQueues     = 20
	countedBatches    = 3
)

// countInstructions counts bin's instructions per request on a copy of seeded.
func countInstructions(ctx context.Context, rc runConfig, seeded *env, bin string) (instructionCounts, error) {
	var n instructionCounts
	e, err := copyDatabase(ctx, rc, seeded)
	if err != nil {
		return n, fmt.Errorf("copy the seeded database: %w", err)
	}
	defer e.cleanup()
	dir, err := os.MkdirTemp("", "referrals-callgrind-")
	if err != nil {
		return n, err
	}
	defer os.RemoveAll(dir)
	vars := append(e.vars, "GODEBUG=asyncpreemptoff=1", "GOMAXPROCS=1")
	valgrind := func(out string) []string {
		return []string{"valgrind", "--tool=callgrind", "--callgrind-out-file=" + filepath.Join(dir, out), bin}
	}

	srv, err := startCommand(append(valgrind("serve"), "serve"), vars, 5*time.Minute)
	if err != nil {
		return n, fmt.Errorf("serve under callgrind: %w", err)
	}
	defer srv.stop()
	cg := callgrind{pid: srv.cmd.Process.Pid, out: filepath.Join(dir, "serve")}
	var referrers []string
	for i := range min(5, e.scale.Referrers) {
		c, err := signIn(srv.url, referrerEmail(i))
		if err != nil {
			return n, err
		}
		referrers = append(referrers, c)
	}
	admin, err := signIn(srv.url, adminEmail)
	if err != nil {
		return n, err
	}
	phase := func(name string, per int, run func() error) (float64, error) {
		if err := cg.zero(); err != nil {
			return 0, err
		}
		if err := run(); err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		total, err := cg.dump()
		fmt.Fprintf(os.Stderr, "   %s: %.2fM instructions each\n", name, total/float64(per)/1e6)
		return total / float64(per), err
	}
	sequential := func(url string, cookies []string, k int) func() error {
		return func() error { _, err := alone(url, cookies, k); return err }
	}
	if err := sequential(srv.url+"/dashboard", referrers, 20)(); err != nil { // warm-up
		return n, err
	}
	if n.dashboard, err = phase("dashboard", countedDashboards, sequential(srv.url+"/dashboard", referrers, countedDashboards)); err != nil {
		return n, err
	}
	if err := sequential(srv.url+"/admin/payouts", []string{admin}, 3)(); err != nil {
		return n, err
	}
	if n.queue, err = phase("review queue", countedQueues, sequential(srv.url+"/admin/payouts", []string{admin}, countedQueues)); err != nil {
		return n, err
	}
	if n.ingest, err = phase("batch of 1000 events", countedBatches, func() error {
		_, err := ingest(ctx, srv.url, envValue(e.vars, "WEBHOOK_SECRET"), e.scale, countedBatches)
		return err
	}); err != nil {
		return n, err
	}
	srv.stop()

	args := append(valgrind("pay"), "payouts", "pay", "--month", payMonth(e.seededAt))
	if out, _, err := runState(ctx, args[0], vars, args[1:]...); err != nil {
		return n, fmt.Errorf("payouts pay under callgrind: %v: %s", err, tail(out))
	}
	total, err := callgrindTotal(filepath.Join(dir, "pay"))
	n.pay = total / float64(e.scale.Approved)
	fmt.Fprintf(os.Stderr, "   pay: %.2fM instructions per payout\n", n.pay/1e6)
	return n, err
}

// callgrind controls a process running under callgrind.
type callgrind struct {
	pid   int
	out   string // the --callgrind-out-file; dumps add .1, .2, ...
	dumps int
}

func (c *callgrind) control(arg string) error {
	out, err := exec.Command("callgrind_control", arg, strconv.Itoa(c.pid)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("callgrind_control %s: %v: %s", arg, err, out)
	}
	return nil
}

func (c *callgrind) zero() error { return c.control("-z") }

// dump writes the counters out and returns the instructions counted since the last zero.
func (c *callgrind) dump() (float64, error) {
	if err := c.control("-d"); err != nil {
		return 0, err
	}
	c.dumps++
	file := fmt.Sprintf("%s.%d", c.out, c.dumps)
	// callgrind_control returns once the request is taken; the file follows.
	for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(100 * time.Millisecond) {
		if n, err := callgrindTotal(file); err == nil {
			return n, nil
		}
	}
	return callgrindTotal(file)
}

var callgrindTotals = regexp.MustCompile(`(?m)^totals: (\d+)`)

// callgrindTotal reads the instruction total of a callgrind output file.
func callgrindTotal(file string) (float64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return 0, err
	}
	m := callgrindTotals.FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("%s: no totals line yet", file)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
