package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
)

func TestTheDashboardRefusesTamperedQueries(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.invitedReferrer(t)
		b := a.browser(t)
		b.signIn("maria@example.com", "correct horse", "/dashboard")
		for path, want := range map[string]int{
			"/dashboard?program=customer-service&page=2": http.StatusOK,
			"/dashboard?program=no-such-program":         http.StatusNotFound,
			"/dashboard?page=abc":                        http.StatusBadRequest,
			"/dashboard?page=-1":                         http.StatusBadRequest,
			"/transactions?page=x":                       http.StatusBadRequest,
			"/dashboard/invite-qr.svg?program=nope":      http.StatusNotFound,
		} {
			res := b.get(path)
			if res.status != want {
				t.Errorf("%s: %d, want %d", path, res.status, want)
			}
			if want != http.StatusOK && find(parse(t, res.body), hasClass("error-page")) == nil {
				t.Errorf("%s: not the error page", path)
			}
		}
	})
}

func TestTheQRCodeDownloadsAsSVG(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.invitedReferrer(t)
		b := a.browser(t)
		b.signIn("maria@example.com", "correct horse", "/dashboard")
		doc := parse(t, b.get("/dashboard").body)
		href := attr(byID(doc, "invite-qr-download"), "href")
		res := b.get(href)
		if res.status != http.StatusOK || res.header.Get("Content-Type") != "image/svg+xml" ||
			!strings.Contains(res.header.Get("Content-Disposition"), "attachment") || !strings.Contains(res.body, "<svg") {
			t.Fatalf("%s: %d %v", href, res.status, res.header)
		}
		if svg := byID(doc, "invite-qr"); svg == nil || svg.Data != "svg" {
			t.Errorf("#invite-qr is %v, want the <svg> itself", svg)
		}
	})
}

func TestPagesNameTheMarketplace(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db, func(o *handlers.Options) { o.MarketplaceName = "Gigworks" })
		_, _, code := a.invitedReferrer(t)
		if page := text(parse(t, a.browser(t).get("/r/"+code).body)); !strings.Contains(page, "Maria invited you to Gigworks") {
			t.Errorf("landing: %q", page)
		}
		b := a.browser(t)
		b.signIn("maria@example.com", "correct horse", "/dashboard")
		if msg := text(byID(parse(t, b.get("/dashboard").body), "share-message")); !strings.Contains(msg, "good work on Gigworks") {
			t.Errorf("share message %q", msg)
		}
	})
}

func TestAReferredFriendIsNotToldTheyCannotRefer(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		_, _, code := a.invitedReferrer(t)
		if _, err := db.Store.SignUpFriend(t.Context(), models.FriendSignup{Name: "Sam Rivera", Email: "sam@example.com", Password: "correct horse", Country: "US", Code: code}); err != nil {
			t.Fatal(err)
		}
		b := a.browser(t)
		b.signIn("sam@example.com", "correct horse", "/dashboard")
		doc := parse(t, b.get("/dashboard").body)
		if page := text(doc); strings.Contains(page, "can't refer") || find(doc, hasClass("not-eligible")) != nil {
			t.Errorf("the friend is warned: %q", page)
		}
		if got := text(byID(doc, "plus-until")); got != "Free until Apr 1, 2019" {
			t.Errorf("Freelancer Plus: %q", got)
		}
	})
}
