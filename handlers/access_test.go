package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
)

func TestAnonymousVisitorsAreSentToSignIn(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		b := newApp(t, db).browser(t)
		for path, want := range map[string]string{
			"/admin":     "/login?next=%2Fadmin",
			"/dashboard": "/login?next=%2Fdashboard",
			"/":          "/login",
		} {
			res := b.get(path)
			if res.status != http.StatusSeeOther || res.location != want {
				t.Errorf("GET %s: %d to %q, want 303 to %q", path, res.status, res.location, want)
			}
		}
	})
}

func TestFreelancersGet403OnAdminPages(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com", TopRated: true})
		b := a.browser(t)
		b.signIn("ana@example.com", "correct horse", "/dashboard")
		res := b.get("/admin")
		if res.status != http.StatusForbidden {
			t.Fatalf("freelancer GET /admin: %d, want 403", res.status)
		}
		if !strings.Contains(text(parse(t, res.body)), "program staff") {
			t.Error("the 403 page does not say why")
		}
	})
}

func TestAdminsReachTheAdminPagesAndAreKeptOffTheDashboard(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "staff@example.com", Role: models.RoleOwner})
		b := a.browser(t)
		b.signIn("staff@example.com", "correct horse", "/admin")
		if res := b.get("/admin"); res.status != http.StatusOK {
			t.Fatalf("admin GET /admin: %d", res.status)
		}
		if res := b.get("/dashboard"); res.status != http.StatusSeeOther || res.location != "/admin" {
			t.Fatalf("admin GET /dashboard: %d to %q, want 303 to /admin", res.status, res.location)
		}
	})
}

func TestFormsWithoutTheirCSRFTokenAreRefused(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		b := a.browser(t)
		b.get("/login") // receives the CSRF cookie
		res := b.post("/login", url.Values{"email": {"ana@example.com"}, "password": {"correct horse"}}, false)
		if res.status != http.StatusBadRequest && res.status != http.StatusForbidden {
			t.Fatalf("sign-in without _csrf: %d, want 400 or 403", res.status)
		}
		if res := b.get("/dashboard"); res.status != http.StatusSeeOther {
			t.Fatalf("after a refused sign-in the dashboard answered %d; the sign-in took effect", res.status)
		}

		form := url.Values{"email": {"ana@example.com"}, "password": {"correct horse"}, "_csrf": {"forged-token"}}
		req, _ := http.NewRequest(http.MethodPost, a.server.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res := b.do(req); res.status != http.StatusForbidden {
			t.Fatalf("sign-in with a forged token: %d, want 403", res.status)
		}

		b.signIn("ana@example.com", "correct horse", "/dashboard")
		if res := b.post("/logout", nil, false); res.status != http.StatusBadRequest && res.status != http.StatusForbidden {
			t.Fatalf("sign-out without _csrf: %d, want refused", res.status)
		}
		if res := b.get("/dashboard"); res.status != http.StatusOK {
			t.Fatalf("the refused sign-out signed out: dashboard %d", res.status)
		}
	})
}

func TestCrossSiteFormPostsAreRefusedEvenWithAToken(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		b := a.browser(t)
		form := url.Values{"email": {"ana@example.com"}, "password": {"correct horse"}, "_csrf": {b.csrfToken()}}
		req, _ := http.NewRequest(http.MethodPost, a.server.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if res := b.do(req); res.status != http.StatusForbidden {
			t.Fatalf("cross-site POST: %d, want 403", res.status)
		}
	})
}

func TestPagesCarrySecurityHeaders(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		res := newApp(t, db).browser(t).get("/login")
		csp := res.header.Get("Content-Security-Policy")
		for _, want := range []string{"object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %s", csp, want)
			}
		}
		if res.header.Get("X-Content-Type-Options") != "nosniff" || res.header.Get("Referrer-Policy") == "" {
			t.Errorf("headers: %v", res.header)
		}
		if res.header.Get("Strict-Transport-Security") != "" {
			t.Error("HSTS sent for a plain-http BASE_URL")
		}
		for _, c := range res.header.Values("Set-Cookie") {
			if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
				t.Errorf("cookie %q lacks HttpOnly or SameSite=Lax", c)
			}
		}
	})
}

func TestHealthAndReadiness(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		b := newApp(t, db).browser(t)
		if res := b.get("/healthz"); res.status != http.StatusOK {
			t.Errorf("/healthz: %d", res.status)
		}
		if res := b.get("/readyz"); res.status != http.StatusOK {
			t.Errorf("/readyz: %d", res.status)
		}
		db.Store.Close()
		if res := b.get("/readyz"); res.status != http.StatusServiceUnavailable {
			t.Errorf("/readyz with the database closed: %d, want 503", res.status)
		}
	})
}

func TestStaticAssetsAreCachedByVersion(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		b := newApp(t, db).browser(t)
		doc := parse(t, b.get("/login").body)
		link := find(doc, func(n *html.Node) bool { return n.Data == "link" && attr(n, "rel") == "stylesheet" })
		href := attr(link, "href")
		res := b.get(href)
		if res.status != http.StatusOK || !strings.Contains(res.header.Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s: %d, Cache-Control %q", href, res.status, res.header.Get("Cache-Control"))
		}
		if res := b.get("/static/app.css?v=old"); res.header.Get("Cache-Control") != "no-cache" {
			t.Errorf("a stale version is cached: %q", res.header.Get("Cache-Control"))
		}
	})
}

func TestHTTPSDeploymentsGetHSTSAndSecureCookies(t *testing.T) {
	db := modelstest.SQLite(t)
	e, err := handlers.New(handlers.Options{
		Store:         db.Store,
		BaseURL:       "https://referrals.example.com",
		SessionSecret: []byte("test-session-secret-of-at-least-32-bytes"),
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	if !strings.Contains(rec.Header().Get("Strict-Transport-Security"), "max-age=") {
		t.Errorf("no HSTS under https: %v", rec.Header())
	}
	for _, c := range rec.Result().Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure under https", c.Name)
		}
	}
}
