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
		if res.status != http.StatusOK || find(doc, hasClass("empty-state")) == nil || text(byID(doc, "withdrawable")) != "$0.00" {
			t.Fatalf("%d: %q", res.status, text(doc))
		}
	})
}

func TestTransactionsShowCreditsWithRunningBalanceAndOnlyTheirOwn(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		_, maria, code := a.invitedReferrer(t)
		rita := a.createUser(t, models.NewUser{Email: "rita@example.com"})
		res, err := db.Store.SignUpFriend(t.Context(), models.FriendSignup{Name: "Sam Rivera", Email: "sam@example.com", Password: "correct horse", Country: "US", Code: code})
		if err != nil {
			t.Fatal(err)
		}
		db.FixtureCounted(t, res.Referral.ID, 50000)
		payout := db.FixturePayout(t, *res.Referral, models.PayoutPaid)
		// Paid at 6 a.m. UTC on April 8: still April 7 in the program's time zone.
		db.FixtureLedgerCredit(t, maria.ID, &payout, 10000, "Referral bonus - Sam Rivera", time.Date(2019, 4, 8, 6, 0, 0, 0, time.UTC))
		db.FixtureLedgerCredit(t, maria.ID, nil, 10000, "Referral bonus - Priya Patel", time.Date(2019, 5, 7, 18, 0, 0, 0, time.UTC))
		db.FixtureLedgerCredit(t, rita.ID, nil, 77700, "Referral bonus - Someone Else", time.Date(2019, 5, 7, 18, 0, 0, 0, time.UTC))

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
		if text(byID(doc, "balance")) != "$200.00" || text(byID(doc, "withdrawable")) != "$200.00" {
			t.Errorf("balance %q, withdrawable %q", text(byID(doc, "balance")), text(byID(doc, "withdrawable")))
		}
		if strings.Contains(text(doc), "Someone Else") {
			t.Error("Maria sees Rita's ledger")
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
