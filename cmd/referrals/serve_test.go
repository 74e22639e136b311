package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"referrals/jobs/jobstest"
	"referrals/models"
	"referrals/models/modelstest"
)

// buildBinary builds the referrals command as a user would run it.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "referrals")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// server is one running `referrals serve` process.
type server struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	err    error // how it exited, once exited is closed
}

// syncBuffer is a buffer the process writes to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startServe(t *testing.T, bin string, env map[string]string) *server {
	t.Helper()
	s := &server{cmd: exec.Command(bin, "serve"), stderr: &syncBuffer{}, exited: make(chan struct{})}
	s.cmd.Env = os.Environ()
	for k, v := range env {
		s.cmd.Env = append(s.cmd.Env, k+"="+v)
	}
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	return s
}

// waitServing waits until the process has started its server and its jobs.
func (s *server) waitServing(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(s.stderr.String(), "msg=serving") {
		select {
		case <-s.exited:
			t.Fatalf("serve exited with %v:\n%s", s.err, s.stderr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", s.stderr)
		}
	}
}

// stop sends SIGTERM, as a process manager does, and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			t.Errorf("serve exited with %v after SIGTERM:\n%s", s.err, s.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("serve did not exit after SIGTERM:\n%s", s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "shutting down") {
		t.Errorf("serve did not shut down gracefully:\n%s", s.stderr)
	}
}

func TestTwoServeProcessesOnOnePostgresDatabaseSendEachEmailOnce(t *testing.T) {
	db := modelstest.Postgres(t)
	ctx := context.Background()
	smtp := jobstest.StartSMTP(t)
	bin := buildBinary(t)

	p, err := db.Store.CreateProgram(ctx, models.CLIActor(), models.ProgramInput{Slug: "cs", Name: "Customer Service referrals", Deadline: "2019-04-15"})
	if err != nil {
		t.Fatal(err)
	}
	addFreelancer := func(i int) {
		if _, err := db.Store.CreateUser(ctx, models.NewUser{Email: fmt.Sprintf("f%d@example.com", i), Name: fmt.Sprintf("Freelancer %d", i),
			Password: "correct horse", Country: "US", TopRated: true}); err != nil {
			t.Fatal(err)
		}
	}
	invite := func(want int) {
		t.Helper()
		if n, err := db.Store.InviteProgram(ctx, models.CLIActor(), p.Slug); err != nil || n != want {
			t.Fatalf("invited %d, %v; want %d", n, err, want)
		}
	}
	waitSent := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for db.Count(t, "emails", "status = 'sent'") != want {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %d emails to be sent", want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	env := map[string]string{
		"DATABASE_URL":   db.URL,
		"SMTP_URL":       smtp.URL(),
		"ADDR":           "127.0.0.1:0",
		"SESSION_SECRET": strings.Repeat("s", 32),
		"DATA_DIR":       t.TempDir(),
	}
	servers := []*server{startServe(t, bin, env), startServe(t, bin, env)}
	for _, s := range servers {
		s.waitServing(t)
	}
	for i := range 12 {
		addFreelancer(i)
	}
	invite(12)
	waitSent(12)

	// Inviting again delivers nothing more; a newcomer's invitation still goes out.
	invite(0)
	addFreelancer(12)
	invite(1)
	waitSent(13)
	for _, s := range servers {
		s.stop(t)
		t.Logf("one instance:\n%s", s.stderr)
	}

	smtp.CheckEachOnce(t, 13)
}

// logged waits for a log line with msg and returns the value of key in it.
func (s *server) logged(t *testing.T, msg, key string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		for _, line := range strings.Split(s.stderr.String(), "\n") {
			if strings.Contains(line, "msg="+strconvQuote(msg)) || strings.Contains(line, "msg="+msg+" ") {
				for _, f := range strings.Fields(line) {
					if v, ok := strings.CutPrefix(f, key+"="); ok {
						return v
					}
				}
			}
		}
		select {
		case <-s.exited:
			t.Fatalf("serve exited with %v:\n%s", s.err, s.stderr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q line with %s:\n%s", msg, key, s.stderr)
		}
	}
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// get fetches url without following redirects.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestServeHasAMetricsListenerAndDrainsBeforeStopping(t *testing.T) {
	db := modelstest.SQLite(t)
	bin := buildBinary(t)
	s := startServe(t, bin, map[string]string{
		"DATA_DIR": db.DataDir, "ADDR": "127.0.0.1:0", "METRICS_ADDR": "127.0.0.1:0", "BASE_URL": modelstest.BaseURL,
	})
	s.waitServing(t)
	app := "http://" + s.logged(t, "serving", "addr")
	mets := "http://" + s.logged(t, "serving metrics", "addr")

	if code, _ := get(t, app+"/login"); code != http.StatusOK {
		t.Fatalf("GET /login: %d", code)
	}
	code, body := get(t, mets+"/metrics")
	for _, want := range []string{`referrals_http_requests_total{method="GET",route="/login",status="200"} 1`, "go_goroutines", "referrals_payouts{status=", "referrals_outbox{status="} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET /metrics: %d, no %s", code, want)
		}
	}
	if code, _ := get(t, mets+"/debug/pprof/goroutine?debug=1"); code != http.StatusOK {
		t.Errorf("pprof: %d", code)
	}
	if code, body := get(t, app+"/metrics"); code == http.StatusOK || strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics on the public listener: %d", code)
	}

	// SIGTERM: readiness fails at once while requests are still served, then it stops.
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.logged(t, "shutting down: draining", "for")
	if code, body := get(t, app+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining: %d %q, want 503", code, body)
	}
	if code, _ := get(t, app+"/login"); code != http.StatusOK {
		t.Errorf("a page while draining: %d, want 200", code)
	}
	select {
	case <-s.exited:
		if s.err != nil {
			t.Errorf("serve exited with %v:\n%s", s.err, s.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not stop:\n%s", s.stderr)
	}
}
