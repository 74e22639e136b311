package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
)

// BenchmarkDashboard is one signed-in GET /dashboard of the demo's referrer (friends at
// every stage, five weeks of clicks), served in process: the server's whole cost of the
// page, session check and rendering included, with its allocations.
//
//	go test ./handlers -run '^$' -bench Dashboard -benchmem
func BenchmarkDashboard(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			db := modelstest.SQLite(b)
			if dialect == "postgres" {
				db = modelstest.Postgres(b)
			}
			if _, _, err := db.Store.SeedDemo(b.Context()); err != nil {
				b.Fatal(err)
			}
			e, err := handlers.New(handlers.Options{Store: db.Store, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
				BaseURL: modelstest.BaseURL, SessionSecret: modelstest.SessionSecret})
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(e)
			defer srv.Close()
			cookie := benchSignIn(b, srv.URL, "maria@example.com", models.DemoPassword)
			req := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
			req.Header.Set("Cookie", cookie)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req.Clone(req.Context()))
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Lucas Moreau") {
					b.Fatalf("dashboard: %d", w.Code)
				}
			}
		})
	}
}

var csrfMeta = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)

// benchSignIn signs in through the form and returns the session cookie header.
func benchSignIn(b *testing.B, base, email, password string) string {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(base + "/help")
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfMeta.FindSubmatch(page)
	if m == nil {
		b.Fatal("no CSRF token on /help")
	}
	res, err = client.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}, "_csrf": {string(m[1])}})
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		b.Fatalf("sign in: %d", res.StatusCode)
	}
	u, _ := url.Parse(base)
	var parts []string
	for _, c := range jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}
