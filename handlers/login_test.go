package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestWrongPasswordReRendersTheFormWithTheEmailKept(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		b := a.browser(t)
		res := b.post("/login", url.Values{"email": {"ana@example.com"}, "password": {"wrong horse"}}, true)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password: %d, want 422", res.status)
		}
		doc := parse(t, res.body)
		if email := byID(doc, "email"); email == nil || attr(email, "value") != "ana@example.com" {
			t.Error("the email was not kept")
		}
		if msg := byID(doc, "login-error"); msg == nil || !strings.Contains(text(msg), "don't match") {
			t.Error("no error message")
		}
	})
}

func TestSignInGoesToTheRequestedLocalPageOnly(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		for next, want := range map[string]string{
			"/help":                "/help",
			"//evil.example":       "/dashboard",
			"/\\evil.example":      "/dashboard",
			"https://evil.example": "/dashboard",
			"":                     "/dashboard",
		} {
			b := a.browser(t)
			res := b.post("/login", url.Values{"email": {"ana@example.com"}, "password": {"correct horse"}, "next": {next}}, true)
			if res.status != http.StatusSeeOther || res.location != want {
				t.Errorf("next=%q: %d to %q, want %q", next, res.status, res.location, want)
			}
		}
	})
}

func TestSignOutEndsTheSessionEvenForACopiedCookie(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		b := a.browser(t)
		b.signIn("ana@example.com", "correct horse", "/dashboard")

		// Someone copies the session cookie before the owner signs out.
		u, _ := url.Parse(a.server.URL)
		thief := a.browser(t)
		thief.http.Jar.SetCookies(u, b.http.Jar.Cookies(u))
		if res := thief.get("/dashboard"); res.status != http.StatusOK {
			t.Fatalf("copied cookie before sign-out: %d", res.status)
		}

		if res := b.post("/logout", nil, true); res.status != http.StatusSeeOther || res.location != "/login" {
			t.Fatalf("sign out: %d to %q", res.status, res.location)
		}
		if res := b.get("/dashboard"); res.status != http.StatusSeeOther {
			t.Errorf("after sign-out the dashboard answered %d", res.status)
		}
		if res := thief.get("/dashboard"); res.status != http.StatusSeeOther {
			t.Errorf("the copied cookie still works after sign-out: %d", res.status)
		}
	})
}

func TestIdleSessionsExpire(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		b := a.browser(t)
		b.signIn("ana@example.com", "correct horse", "/dashboard")
		db.Clock.Advance(13 * time.Hour)
		if res := b.get("/dashboard"); res.status != http.StatusSeeOther {
			t.Fatalf("after 13 idle hours the dashboard answered %d, want a redirect to sign in", res.status)
		}
	})
}
