package handlers_test

import (
	"crypto/hkdf"
	"crypto/sha256"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"referrals/models"
	"referrals/models/modelstest"
)

// A session cookie written before sessions left gob (same keys, old encoding) signs
// nobody in: its holder is asked to sign in again, and nothing fails.
func TestOldGobSessionCookieSignsOut(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		ana := a.createUser(t, models.NewUser{Email: "ana@example.com"})
		hashKey, _ := hkdf.Key(sha256.New, modelstest.SessionSecret, nil, "referrals session signing", 64)
		blockKey, _ := hkdf.Key(sha256.New, modelstest.SessionSecret, nil, "referrals session encryption", 32)
		now := a.Clock.Now().Unix()
		old, err := securecookie.New(hashKey, blockKey).Encode("referrals_session", map[any]any{
			"uid": ana.ID, "ver": ana.SessionVersion, "iat": now, "seen": now, "csrf": "old-token"})
		if err != nil {
			t.Fatal(err)
		}
		b := a.browser(t)
		u, _ := url.Parse(a.server.URL)
		b.http.Jar.SetCookies(u, []*http.Cookie{{Name: "referrals_session", Value: old, Path: "/", Expires: time.Now().Add(time.Hour)}})
		if res := b.get("/dashboard"); res.status != http.StatusSeeOther || res.location != "/login?next=%2Fdashboard" {
			t.Fatalf("an old cookie on the dashboard: %d to %q, want a redirect to sign in", res.status, res.location)
		}
		// Signing in again works, with a cookie of the new kind.
		b.signIn("ana@example.com", "correct horse", "/dashboard")
		if res := b.get("/dashboard"); res.status != http.StatusOK {
			t.Fatalf("dashboard after signing in again: %d", res.status)
		}
	})
}
