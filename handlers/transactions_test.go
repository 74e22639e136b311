package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestTransactionsStartEmpty(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		b := a.browser(t)
		b.signIn("ana@example.com", "correct horse", "/dashboard")
		res := b.get("/transactions")
		doc := parse(t, res.body)
		if res.status != http.StatusOK || find(doc, hasClass("empty-state")) == nil || text(byID(doc, "balance")) != "$0.00" {
			t.Fatalf("%d: %q", res.status, text(doc))
		}
	})
}

func TestTransactionsShowCreditsWithRunningBalanceAndOnlyTheirOwn(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		_, _, code := a.invitedReferrer(t)
		sam := db.FixtureSignUp(t, code, "Sam Rivera", "sam@example.com", "")
		priya := db.FixtureSignUp(t, code, "Priya Patel", "priya@example.com", "")
		db.FixtureCounted(t, sam.Referral.ID, 50000)
		db.FixtureCounted(t, priya.Referral.ID, 50000)
		// Sam's credit is paid at 6 a.m. UTC on April 8: still April 7 in the program's
		// time zone. Priya's is paid on May 7.
		db.Clock.Set(time.Date(2019, 4, 8, 6, 0, 0, 0, time.UTC))
		db.FixturePayout(t, *sam.Referral, models.PayoutPaid)
		// Rita's friend qualifies too; her credit is hers alone.
		db.Clock.Set(time.Date(2019, 4, 10, 18, 0, 0, 0, time.UTC))
		_, ritaCode := db.FixtureReferrer(t, "rita@example.com", "Rita Gomez")
		other := db.FixtureSignUp(t, ritaCode, "Someone Else", "else@example.com", "")
		db.FixtureCounted(t, other.Referral.ID, 50000)
		db.FixturePayout(t, *other.Referral, models.PayoutPaid)
		db.Clock.Set(time.Date(2019, 5, 7, 18, 0, 0, 0, time.UTC))
		db.FixturePayout(t, *priya.Referral, models.PayoutPaid)

		b := a.browser(t)
		b.signIn("maria@example.com", "correct horse", "/dashboard")
		doc := parse(t, b.get("/transactions").body)
		rows := findAll(doc, func(n *html.Node) bool { return hasAttr(n, "data-entry-id") })
		if len(rows) != 2 {
			t.Fatalf("%d rows, want 2", len(rows))
		}
		for i, want := range []string{
			"May 7, 2019 Referral bonus - Priya Patel $100.00 $0.00 $200.00",
			"Apr 7, 2019 Referral bonus - Sam Rivera $100.00 $0.00 $100.00",
		} {
			if got := text(rows[i]); got != want {
				t.Errorf("row %d: %q, want %q", i, got, want)
			}
		}
		// Everything is withdrawable, so there is no second card saying the same.
		if text(byID(doc, "balance")) != "$200.00" || byID(doc, "withdrawable") != nil {
			t.Errorf("balance %q, withdrawable %q", text(byID(doc, "balance")), text(byID(doc, "withdrawable")))
		}
		if strings.Contains(text(doc), "Someone Else") {
			t.Error("Maria sees Rita's ledger")
		}
	})
}

func TestTransactionsSayWhenApprovedCreditsArrive(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		_, _, code := a.invitedReferrer(t)
		for i, status := range []models.PayoutStatus{models.PayoutApproved, models.PayoutPendingReview, models.PayoutRejected} {
			res, err := db.Store.SignUpFriend(t.Context(), models.FriendSignup{Name: "Friend", Email: "f" + itoa(int64(i)) + "@example.com", Password: "correct horse", Country: "US", Code: code})
			if err != nil {
				t.Fatal(err)
			}
			db.FixtureCounted(t, res.Referral.ID, 50000)
			db.FixturePayout(t, *res.Referral, status)
		}
		b := a.browser(t)
		b.signIn("maria@example.com", "correct horse", "/dashboard")
		doc := parse(t, b.get("/transactions").body)
		if got := text(byID(doc, "on-its-way")); !strings.Contains(got, "$100.00") || !strings.Contains(got, "on its way, by Apr 5, 2019") {
			t.Errorf("on its way: %q", got)
		}
		if got := text(byID(doc, "credits")); !strings.Contains(got, "Credits earned $200.00") || !strings.Contains(got, "In review $100.00") {
			t.Errorf("credits: %q", got)
		}
	})
}

func TestTransactionsAreForSignedInFreelancers(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		if res := a.browser(t).get("/transactions"); res.status != http.StatusSeeOther || res.location != "/login?next=%2Ftransactions" {
			t.Errorf("anonymous: %d to %q", res.status, res.location)
		}
		a.createUser(t, models.NewUser{Email: "staff@example.com", Role: models.RoleOwner})
		b := a.browser(t)
		b.signIn("staff@example.com", "correct horse", "/admin")
		if res := b.get("/transactions"); res.status != http.StatusSeeOther || res.location != "/admin" {
			t.Errorf("admin: %d to %q", res.status, res.location)
		}
	})
}
