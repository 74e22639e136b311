package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
)

// A CSRF token works only in the session it was issued to: a token read from one
// browser's page is refused in another's, even one with no token of its own yet.
func TestTheCSRFTokenIsBoundToTheSession(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		attacker, victim := a.browser(t), a.browser(t)
		token := attacker.csrfToken()
		victim.get("/login")
		res := victim.post("/login", url.Values{"email": {"ana@example.com"}, "password": {"correct horse"}, "_csrf": {token}}, false)
		if res.status != http.StatusForbidden {
			t.Fatalf("another session's token: %d, want 403", res.status)
		}
		fresh := a.browser(t) // no cookie at all
		if res := fresh.post("/login", url.Values{"email": {"ana@example.com"}, "password": {"correct horse"}, "_csrf": {token}}, false); res.status != http.StatusForbidden {
			t.Fatalf("a token without its session: %d, want 403", res.status)
		}
		// Signing in gives the session a new token: the one before signing in is dead.
		b := a.browser(t)
		before := b.csrfToken()
		b.signIn("ana@example.com", "correct horse", "/dashboard")
		if after := b.csrfToken(); after == before {
			t.Error("the CSRF token survived signing in")
		}
		if res := b.post("/logout", url.Values{"_csrf": {before}}, false); res.status != http.StatusForbidden {
			t.Errorf("the token from before signing in: %d, want 403", res.status)
		}
	})
}

func TestHTTPSCookiesAreHostOnly(t *testing.T) {
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
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		t.Fatal("no cookie set on /login")
	}
	for _, c := range cookies {
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || c.Path != "/" || c.Domain != "" {
			t.Errorf("cookie %s (Secure %v, Path %q, Domain %q) is not a __Host- cookie", c.Name, c.Secure, c.Path, c.Domain)
		}
	}
}
