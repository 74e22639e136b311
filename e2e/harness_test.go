//go:build e2e

// Package e2e drives the product in a real Chromium (Debian's package) with chromedp: the
// journeys a person takes, checked with axe-core for accessibility and photographed at
// desktop and phone widths. Run with `make e2e`; screenshots land in $E2E_ARTIFACTS
// (default e2e/artifacts).
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
	"referrals/views"
)

func TestMain(m *testing.M) { os.Exit(modelstest.Run(m)) }

// site is the real application on a fresh database with the demo data, served on a
// loopback port.
type site struct {
	URL string
	DB  *modelstest.DB
	// totp holds the TOTP secret of each demo member of staff, by email, read from the
	// otpauth:// URI seed --demo prints.
	totp map[string]string
}

func startSite(t *testing.T) *site {
	t.Helper()
	db := modelstest.SQLite(t)
	logins, _, err := db.Store.SeedDemo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{}
	for _, l := range logins {
		if u, err := neturl.Parse(l.TOTPURI); err == nil && l.TOTPURI != "" {
			secrets[l.Email] = u.Query().Get("secret")
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	app, err := handlers.New(handlers.Options{
		Store:         db.Store,
		Log:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		BaseURL:       url,
		SessionSecret: sessionSecret,
		WebhookSecret: "e2e-webhook-secret-of-at-least-32-bytes",
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: app}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &site{URL: url, DB: db, totp: secrets}
}

// sessionSecret is the site's session secret: it keys its signed links.
var sessionSecret = []byte("e2e-session-secret-of-at-least-32-bytes")

// writtenEmails are the outbox emails matching where, written out as the site's own
// process sends them (with its BASE_URL).
func (s *site) writtenEmails(t *testing.T, where string, args ...any) []models.EmailContent {
	t.Helper()
	emails, err := views.NewEmails(s.URL, "", sessionSecret)
	if err != nil {
		t.Fatal(err)
	}
	var out []models.EmailContent
	for _, w := range s.DB.WrittenEmails(t, where, args...) {
		c, err := s.DB.Store.WriteEmail(t.Context(), w.Email, emails)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// browser is one Chromium with a fresh profile.
type browser struct {
	t    *testing.T
	ctx  context.Context
	site *site
}

// chromium finds Debian's Chromium.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed: apt-get install -y chromium")
	return ""
}

func newBrowser(t *testing.T, s *site) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first call starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, site: s}
}

// actionTimeout bounds each step, so a broken page fails fast instead of hanging.
const actionTimeout = 20 * time.Second

// do runs steps in order and fails the test on the first error.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// value runs one action that returns a value.
func value[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// open navigates to a path of the site and waits for the page.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.site.URL+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// path is the current location's path and query.
func (b *browser) path() string {
	b.t.Helper()
	loc := value(b, chromedp.Location())
	return strings.TrimPrefix(loc, b.site.URL)
}

// text is the visible text of the first element matching css.
func (b *browser) text(css string) string {
	b.t.Helper()
	return value(b, chromedp.Text(chromedp.CSS(css)))
}

// signIn signs in through the form, as a person would.
func (b *browser) signIn(email string) {
	b.t.Helper()
	b.open("/login")
	b.do(
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), models.DemoPassword),
	)
	b.submit(`form[action="/login"] button[type=submit]`)
	if secret, ok := b.site.totp[email]; ok {
		b.enterCode(secret)
	}
}

// enterCode answers the code step of a staff sign-in with the code an authenticator app
// would show for secret (the clock moves to the next 30 seconds first: a code works once).
func (b *browser) enterCode(secret string) {
	b.t.Helper()
	b.site.DB.Clock.Advance(30 * time.Second)
	code, err := models.TOTPCode(secret, b.site.DB.Clock.Now())
	if err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#code"), code))
	b.submit("#verify")
}

// submit clicks a button (or link) and waits for the page it leads to.
func (b *browser) submit(css string) {
	b.t.Helper()
	value(b, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(css))))
}

// grantClipboard lets the page read and write the clipboard without a prompt.
func (b *browser) grantClipboard() {
	b.t.Helper()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    cdpbrowser.PermissionSettingGranted,
			Origin:     b.site.URL,
		})
		if err != nil {
			b.t.Fatalf("grant %s: %v", name, err)
		}
	}
}

// artifacts is where screenshots go.
func artifacts(t *testing.T) string {
	dir := os.Getenv("E2E_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shoot saves full-page screenshots of the current page at desktop and phone widths, and
// fails when the page does not fit the width (sideways scrolling).
func (b *browser) shoot(name string) {
	b.t.Helper()
	dir := artifacts(b.t)
	for _, width := range []int64{1280, 390} {
		b.do(chromedp.EmulateViewport(width, 900))
		if over := value(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); over > 0 {
			b.t.Errorf("%s: the page is %dpx wider than a %dpx screen", name, over, width)
		}
		png := value(b, chromedp.FullScreenshot(100))
		file := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1280, 900))
}

// axeViolation is one serious or critical accessibility problem axe-core found.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkA11y runs axe-core on the current page and fails on serious or critical
// violations.
func (b *browser) checkA11y(page string) {
	b.t.Helper()
	src, err := os.ReadFile(filepath.Join("node_modules", "axe-core", "axe.min.js"))
	if errors.Is(err, os.ErrNotExist) {
		b.t.Fatal("axe-core is missing: run `npm ci --prefix e2e` (make e2e does)")
	} else if err != nil {
		b.t.Fatal(err)
	}
	b.do(chromedp.Evaluate[chromedp.Void](string(src)))
	raw := value(b, chromedp.Evaluate[[]byte](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
		r.violations
			.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))})))`,
		chromedp.EvalAwaitPromise))
	var found []axeViolation
	if !strings.HasPrefix(string(raw), "[") {
		b.t.Fatalf("axe did not run on %s: %s", page, raw)
	}
	if err := json.Unmarshal(raw, &found); err != nil {
		b.t.Fatalf("axe result %s: %v", raw, err)
	}
	for _, v := range found {
		b.t.Errorf("%s: accessibility %s (%s): %s at %v", page, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// visit opens a page, checks it with axe and photographs it.
func (b *browser) visit(path, name string) {
	b.t.Helper()
	b.open(path)
	b.checkA11y(path)
	b.shoot(name)
}
