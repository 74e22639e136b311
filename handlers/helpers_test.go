package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
)

func TestMain(m *testing.M) { os.Exit(modelstest.Run(m)) }

// app is the real router on a real database, served over loopback.
type app struct {
	*modelstest.DB
	router *echo.Echo
	server *httptest.Server
	// totp holds the TOTP secret of each member of staff createUser enrolled, by email.
	totp map[string]string
}

func newApp(t *testing.T, db *modelstest.DB, options ...func(*handlers.Options)) *app {
	t.Helper()
	opts := handlers.Options{
		Store:         db.Store,
		Log:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		BaseURL:       modelstest.BaseURL,
		SessionSecret: modelstest.SessionSecret,
		WebhookSecret: "test-webhook-secret-of-at-least-32-bytes",
	}
	for _, o := range options {
		o(&opts)
	}
	e, err := handlers.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &app{DB: db, router: e, server: srv, totp: map[string]string{}}
}

// browser is a client with its own cookies that does not follow redirects, so tests see
// each response.
type browser struct {
	t    *testing.T
	app  *app
	http *http.Client
}

func (a *app) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, app: a, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is a fetched page.
type response struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	res, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(body), location: res.Header.Get("Location")}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.app.server.URL+path, nil)
	return b.do(req)
}

// post submits a form as a page would, with the CSRF token of the last page seen (or
// none when withCSRF is false).
func (b *browser) post(path string, form url.Values, withCSRF bool) response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if withCSRF {
		form.Set("_csrf", b.csrfToken())
	}
	req, _ := http.NewRequest(http.MethodPost, b.app.server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// csrfToken reads the token a page carries, fetching the help page (public) to get one.
func (b *browser) csrfToken() string {
	b.t.Helper()
	page := b.get("/help")
	doc := parse(b.t, page.body)
	meta := find(doc, func(n *html.Node) bool { return n.Data == "meta" && attr(n, "name") == "csrf-token" })
	if meta == nil || attr(meta, "content") == "" {
		b.t.Fatal("no csrf-token meta on /help")
	}
	return attr(meta, "content")
}

// signIn signs in with the given credentials and expects to land on want. Staff that
// createUser enrolled answer the code step with their app's code (the clock moves on
// 30 seconds first, since each code works once).
func (b *browser) signIn(email, password, want string) {
	b.t.Helper()
	res := b.post("/login", url.Values{"email": {email}, "password": {password}}, true)
	if secret, ok := b.app.totp[email]; ok && res.status == http.StatusOK {
		res = b.post("/login/mfa", url.Values{"code": {b.app.totpCode(secret)}}, true)
	}
	if res.status != http.StatusSeeOther || res.location != want {
		b.t.Fatalf("sign in as %s: %d to %q, want 303 to %q", email, res.status, res.location, want)
	}
}

// totpCode moves the clock to the next 30-second step and returns secret's code then,
// as an authenticator app would show it.
func (a *app) totpCode(secret string) string {
	a.Clock.Advance(30 * time.Second)
	code, err := models.TOTPCode(secret, a.Clock.Now())
	if err != nil {
		panic(err)
	}
	return code
}

// createUser adds a user with a known password. Staff are enrolled in two-factor
// sign-in too (their secret kept in a.totp): createUnenrolled makes staff who are not.
func (a *app) createUser(t *testing.T, u models.NewUser) models.User {
	t.Helper()
	created := a.createUnenrolled(t, u)
	if created.IsStaff() {
		key, err := models.NewTOTPKey(created.Email)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := models.TOTPCode(key.Secret, a.Clock.Now())
		if created, _, err = a.Store.EnrolTOTP(t.Context(), created.ID, key.Secret, code, ""); err != nil {
			t.Fatal(err)
		}
		a.totp[created.Email] = key.Secret
	}
	return created
}

// createUnenrolled adds a user with a known password, staff without two-factor sign-in.
func (a *app) createUnenrolled(t *testing.T, u models.NewUser) models.User {
	t.Helper()
	if u.Password == "" {
		u.Password = "correct horse"
	}
	if u.Country == "" {
		u.Country = "US"
	}
	if u.Name == "" {
		u.Name = "Test Person"
	}
	created, err := a.Store.CreateUser(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func parse(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// hasAttr reports whether n carries the attribute, whatever its value.
func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

// find returns the first element matching ok, depth first.
func find(n *html.Node, ok func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && ok(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, ok); f != nil {
			return f
		}
	}
	return nil
}

// findAll returns every element matching ok.
func findAll(n *html.Node, ok func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	if n.Type == html.ElementNode && ok(n) {
		out = append(out, n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, findAll(c, ok)...)
	}
	return out
}

// byID finds the element with the id.
func byID(doc *html.Node, id string) *html.Node {
	return find(doc, func(n *html.Node) bool { return attr(n, "id") == id })
}

// text is the text content of n with white space folded.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}
