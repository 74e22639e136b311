package handlers_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
)

// signedInAdmin is a browser signed in as program staff.
func signedInAdmin(t *testing.T, a *app) *browser {
	t.Helper()
	a.createUser(t, models.NewUser{Email: "staff@example.com", Name: "Avery Admin", Role: models.RoleOwner})
	b := a.browser(t)
	b.signIn("staff@example.com", "correct horse", "/admin")
	return b
}

// pendingFor creates a payout pending review, without flags, for a new friend of
// maria's.
func pendingFor(t *testing.T, a *app, friend string) modelstest.Fixture {
	t.Helper()
	return a.PendingPayoutFixture(t, modelstest.PendingPayout{
		ReferrerEmail: "maria@example.com",
		FriendEmail:   strings.ToLower(strings.Fields(friend)[0]) + "@example.com",
		FriendName:    friend,
	})
}

// flashAfter follows a redirect and returns the flash message shown there.
func (b *browser) flashAfter(res response) string {
	b.t.Helper()
	if res.status != http.StatusSeeOther {
		b.t.Fatalf("got %d, want a redirect; body: %.300s", res.status, res.body)
	}
	doc := parse(b.t, b.get(res.location).body)
	f := find(doc, func(n *html.Node) bool { return strings.Contains(attr(n, "class"), "flash") })
	if f == nil {
		b.t.Fatalf("no flash on %s", res.location)
	}
	return text(f)
}

// adminRoutes lists every route under /admin with its parameters filled in.
func adminRoutes(t *testing.T, db *modelstest.DB) [][2]string {
	e, err := handlers.New(handlers.Options{Store: db.Store, BaseURL: modelstest.BaseURL, SessionSecret: []byte("test-session-secret-of-at-least-32-bytes")})
	if err != nil {
		t.Fatal(err)
	}
	fill := strings.NewReplacer(":id", "1", ":month", "2019-03", ":slug", "customer-service")
	var out [][2]string
	for _, r := range e.Routes() {
		if (r.Method == http.MethodGet || r.Method == http.MethodPost) && (r.Path == "/admin" || strings.HasPrefix(r.Path, "/admin/")) {
			out = append(out, [2]string{r.Method, fill.Replace(r.Path)})
		}
	}
	if len(out) < 15 {
		t.Fatalf("only %d admin routes found: %v", len(out), out)
	}
	return out
}

func TestEveryAdminRouteRefusesFreelancersAndRedirectsAnonymousVisitors(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		pendingFor(t, a, "Sam Rivera")
		anonymous := a.browser(t)
		freelancer := a.browser(t)
		freelancer.signIn("maria@example.com", "correct horse", "/dashboard")
		for _, r := range adminRoutes(t, db) {
			method, path := r[0], r[1]
			var anon, free response
			if method == http.MethodGet {
				anon, free = anonymous.get(path), freelancer.get(path)
			} else {
				form := url.Values{"ids": {"1"}, "reason": {"x"}}
				anon, free = anonymous.post(path, form, true), freelancer.post(path, form, true)
			}
			if anon.status != http.StatusSeeOther || !strings.HasPrefix(anon.location, "/login") {
				t.Errorf("anonymous %s %s: %d to %q, want 303 to /login", method, path, anon.status, anon.location)
			}
			if free.status != http.StatusForbidden {
				t.Errorf("freelancer %s %s: %d, want 403", method, path, free.status)
			}
		}
		if n := db.Count(t, "payouts", "status <> 'pending_review'"); n != 0 {
			t.Error("a refused request decided a payout")
		}
		if n := db.Count(t, "audit_events", "action NOT IN ('program.create', 'program.invite')"); n != 0 {
			t.Error("a refused request was acted on")
		}
	})
}

func TestReviewQueueShowsPendingPayoutsWithFlagsInWords(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		// Sam signs up from an address Maria signed in from and qualifies within hours.
		sam := a.PendingPayoutFixture(t, modelstest.PendingPayout{
			ReferrerEmail: "maria@example.com", FriendEmail: "sam@example.com", FriendName: "Sam Rivera",
			ReferrerIP: "198.51.100.7", FriendIP: "198.51.100.7", QualifyIn: time.Hour,
		})
		priya := pendingFor(t, a, "Priya Patel")
		b := signedInAdmin(t, a)

		res := b.get("/admin/payouts")
		if res.status != http.StatusOK {
			t.Fatalf("GET /admin/payouts: %d", res.status)
		}
		doc := parse(t, res.body)
		rows := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-payout-id") != "" })
		if len(rows) != 2 || attr(rows[0], "data-payout-id") != fmt.Sprint(sam.Payout) {
			t.Fatalf("%d rows, first %q; want sam's then priya's", len(rows), attr(rows[0], "data-payout-id"))
		}
		first := text(rows[0])
		for _, want := range []string{"Maria Santos", "maria@example.com", "Sam Rivera", "$100.00", "Mar 1, 2019", "Same IP address", "Qualified fast"} {
			if !strings.Contains(first, want) {
				t.Errorf("row %q lacks %q", first, want)
			}
		}
		if !strings.Contains(text(rows[1]), "None") {
			t.Errorf("a payout without flags should say None: %q", text(rows[1]))
		}
		if boxes := findAll(doc, func(n *html.Node) bool { return attr(n, "name") == "ids" && attr(n, "type") == "checkbox" }); len(boxes) != 2 {
			t.Errorf("%d selection boxes, want 2", len(boxes))
		}
		if all := byID(doc, "select-all"); all == nil || attr(all, "data-select-all") != "ids" {
			t.Error("no select-all box")
		}
		legend := text(byID(doc, "flags-title").Parent)
		if !strings.Contains(legend, "IP address the referrer has used") {
			t.Errorf("the flags are not explained in visible text: %q", legend)
		}

		search := parse(t, b.get("/admin/payouts?q=priya").body)
		if rows := findAll(search, func(n *html.Node) bool { return attr(n, "data-payout-id") != "" }); len(rows) != 1 || attr(rows[0], "data-payout-id") != fmt.Sprint(priya.Payout) {
			t.Errorf("search for priya: %d rows", len(rows))
		}
		empty := text(parse(t, b.get("/admin/payouts?status=paid").body))
		if !strings.Contains(empty, "No payouts here yet") {
			t.Errorf("paid tab without payouts: %q", empty)
		}

		review := find(rows[0], func(n *html.Node) bool {
			return n.Data == "a" && strings.HasPrefix(attr(n, "href"), fmt.Sprintf("/admin/payouts/%d?", sam.Payout))
		})
		if review == nil {
			t.Fatal("no link to review the payout")
		}
		detailPage := b.get(attr(review, "href"))
		detail := parse(t, detailPage.body)
		approve := find(detail, func(n *html.Node) bool { return n.Data == "form" && strings.HasSuffix(attr(n, "action"), "/approve") })
		if next := find(approve, func(n *html.Node) bool { return attr(n, "name") == "next" }); next == nil || attr(next, "value") != "/admin/payouts" {
			t.Error("deciding from the review page does not return to the queue")
		}
		earnings := findAll(byID(detail, "earnings"), func(n *html.Node) bool { return n.Data == "tr" })
		if len(earnings) != 3 || !strings.Contains(text(earnings[1]), "cl_1") || !strings.Contains(text(earnings[1]), "$300.00") ||
			!strings.Contains(text(earnings[1]), "Customer Service") {
			t.Errorf("earnings behind the payout: %d rows, first %q", len(earnings), text(earnings[1]))
		}
		if res := b.get("/admin/payouts/999999"); res.status != http.StatusNotFound {
			t.Errorf("unknown payout: %d", res.status)
		}
	})
}

func TestRejectWithoutAReasonShowsTheFormAgainAndChangesNothing(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		f := pendingFor(t, a, "Sam Rivera")
		b := signedInAdmin(t, a)
		path := fmt.Sprintf("/admin/payouts/%d/reject", f.Payout)

		res := b.post(path, url.Values{"reason": {"   "}}, true)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("reject without reason: %d, want 422", res.status)
		}
		doc := parse(t, res.body)
		if e := byID(doc, "reason-error"); e == nil || !strings.Contains(text(e), "Say why") {
			t.Error("no message beside the reason field")
		}
		if r := byID(doc, "reason"); r == nil || attr(r, "aria-invalid") != "true" {
			t.Error("the reason field is not marked invalid")
		}
		if n := db.Count(t, "payouts", "status = 'pending_review'"); n != 1 {
			t.Fatal("the refused rejection changed the payout")
		}
		if n := db.Count(t, "audit_events", "action = 'payout.reject'"); n != 0 {
			t.Fatal("the refused rejection was audited")
		}

		flash := b.flashAfter(b.post(path, url.Values{"reason": {"Same person as the referrer."}, "next": {"/admin/payouts"}}, true))
		if !strings.Contains(flash, "Rejected payout") {
			t.Errorf("flash %q", flash)
		}
		if n := db.Count(t, "payouts", "status = 'rejected' AND reject_reason = 'Same person as the referrer.'"); n != 1 {
			t.Fatal("not rejected")
		}
		if flash := b.flashAfter(b.post(path, url.Values{"reason": {"again"}}, true)); !strings.Contains(flash, "already decided") {
			t.Errorf("second rejection: flash %q", flash)
		}
	})
}

func TestBulkApprovalSaysWhatWasAlreadyDecided(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		sam, priya, lucas := pendingFor(t, a, "Sam Rivera"), pendingFor(t, a, "Priya Patel"), pendingFor(t, a, "Lucas Moreau")
		b := signedInAdmin(t, a)
		if flash := b.flashAfter(b.post(fmt.Sprintf("/admin/payouts/%d/approve", priya.Payout), url.Values{"next": {"/admin/payouts"}}, true)); !strings.Contains(flash, "March 2019 batch") {
			t.Errorf("single approval: flash %q", flash)
		}
		ids := url.Values{"ids": {fmt.Sprint(sam.Payout), fmt.Sprint(priya.Payout), fmt.Sprint(lucas.Payout)}, "next": {"/admin/payouts?status=all"}}
		res := b.post("/admin/payouts/approve", ids, true)
		if res.location != "/admin/payouts?status=all" {
			t.Errorf("bulk approval went to %q", res.location)
		}
		if flash := b.flashAfter(res); flash != "2 approved, 1 already decided." {
			t.Errorf("flash %q, want %q", flash, "2 approved, 1 already decided.")
		}
		if n := db.Count(t, "payouts", "status = 'approved' AND batch_month = '2019-03'"); n != 3 {
			t.Errorf("%d approved, want 3", n)
		}
		if flash := b.flashAfter(b.post("/admin/payouts/approve", url.Values{}, true)); !strings.Contains(flash, "Select at least one") {
			t.Errorf("empty selection: flash %q", flash)
		}
		if res := b.post("/admin/payouts/approve", url.Values{"ids": {"abc"}}, true); res.status != http.StatusBadRequest {
			t.Errorf("a bad id: %d, want 400", res.status)
		}
		if res := b.post(fmt.Sprintf("/admin/payouts/%d/approve", sam.Payout), url.Values{"next": {"https://evil.example/"}}, true); res.location != fmt.Sprintf("/admin/payouts/%d", sam.Payout) {
			t.Errorf("next to another site was followed: %q", res.location)
		}
	})
}

func TestBulkRejectionNeedsAReasonAndKeepsTheSelection(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		sam, priya, lucas := pendingFor(t, a, "Sam Rivera"), pendingFor(t, a, "Priya Patel"), pendingFor(t, a, "Lucas Moreau")
		b := signedInAdmin(t, a)
		ids := url.Values{"ids": {fmt.Sprint(sam.Payout), fmt.Sprint(priya.Payout)}, "next": {"/admin/payouts"}, "reason": {"  "}}
		res := b.post("/admin/payouts/reject", ids, true)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("bulk rejection without a reason: %d, want 422", res.status)
		}
		doc := parse(t, res.body)
		if msg := byID(doc, "reason-error"); msg == nil || !strings.Contains(text(msg), "Say why") {
			t.Error("no message beside the reason field")
		}
		checked := findAll(doc, func(n *html.Node) bool { return attr(n, "name") == "ids" && hasAttr(n, "checked") })
		if len(checked) != 2 {
			t.Errorf("%d boxes still ticked, want 2", len(checked))
		}
		if n := db.Count(t, "payouts", "status = 'pending_review'"); n != 3 {
			t.Fatalf("a refused bulk rejection changed payouts: %d pending", n)
		}

		ids.Set("reason", "Friends share one household and one client.")
		if flash := b.flashAfter(b.post("/admin/payouts/reject", ids, true)); flash != "2 rejected." {
			t.Errorf("flash %q", flash)
		}
		if n := db.Count(t, "payouts", "status = 'rejected' AND reject_reason = 'Friends share one household and one client.'"); n != 2 {
			t.Errorf("%d rejected with the reason, want 2", n)
		}
		if n := db.Count(t, "emails", "kind = 'credit_rejected'"); n != 2 {
			t.Errorf("%d rejection emails, want 2", n)
		}
		if n := db.Count(t, "payouts", "id = ? AND status = 'pending_review'", lucas.Payout); n != 1 {
			t.Error("an unselected payout was decided")
		}
	})
}

func TestFromPendingToPaidInTheBrowserAndPayingTwicePaysNothingMore(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		f := pendingFor(t, a, "Sam Rivera")
		b := signedInAdmin(t, a)
		b.flashAfter(b.post(fmt.Sprintf("/admin/payouts/%d/approve", f.Payout), nil, true))

		db.Clock.Set(time.Date(2019, 4, 2, 17, 0, 0, 0, time.UTC))
		b.signIn("staff@example.com", "correct horse", "/admin") // a month later the session has ended
		batches := parse(t, b.get("/admin/batches").body)
		row := find(batches, func(n *html.Node) bool { return attr(n, "data-month") == "2019-03" })
		if row == nil || !strings.Contains(text(row), "Apr 5, 2019") || !strings.Contains(text(row), "Ready to pay") {
			t.Fatalf("March batch row: %v", row != nil && true)
		}
		page := parse(t, b.get("/admin/batches/2019-03").body)
		form := find(page, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == "/admin/batches/2019-03/pay" })
		if form == nil || !strings.Contains(attr(form, "data-confirm"), "$100.00") {
			t.Fatal("no pay form with a confirmation")
		}
		if flash := b.flashAfter(b.post("/admin/batches/2019-03/pay", nil, true)); !strings.Contains(flash, "Paid 1 credit ($100.00)") {
			t.Errorf("flash %q", flash)
		}
		if flash := b.flashAfter(b.post("/admin/batches/2019-03/pay", nil, true)); !strings.Contains(flash, "Nothing to pay") {
			t.Errorf("second pay: flash %q", flash)
		}
		var amount, fee int64
		var desc string
		db.QueryRow(t, "SELECT amount_cents, fee_cents, description FROM ledger_entries WHERE user_id = ? AND payout_id = ?", []any{&amount, &fee, &desc}, f.Referrer.ID, f.Payout)
		if amount != 10000 || fee != 0 || desc != "Referral bonus - Sam Rivera" {
			t.Errorf("ledger entry: %d, fee %d, %q", amount, fee, desc)
		}
		if n := db.Count(t, "ledger_entries", ""); n != 1 {
			t.Errorf("%d ledger entries, want 1", n)
		}
		paid := parse(t, b.get("/admin/batches/2019-03").body)
		if text(byID(paid, "ledger-total")) != "$100.00" || text(byID(paid, "paid-total")) != "$100.00" || byID(paid, "pay-batch") != nil {
			t.Error("the paid batch does not show its ledger credits, or still offers to pay")
		}
		if res := b.post("/admin/batches/March/pay", nil, true); res.status != http.StatusNotFound {
			t.Errorf("pay a malformed month: %d", res.status)
		}
	})
}

func TestBatchExportReconcilesWithTheLedgerAndNeutralisesFormulas(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		hostile := a.PendingPayoutFixture(t, modelstest.PendingPayout{
			ReferrerEmail: "mallory@example.com", ReferrerName: "@SUM(1+1)", FriendEmail: "eve@example.com", FriendName: `=HYPERLINK("http://evil.example","x")`,
		})
		plain := pendingFor(t, a, "Sam Rivera")
		minus := pendingFor(t, a, "-2+3 Dash")
		late := pendingFor(t, a, "Late Approval")
		b := signedInAdmin(t, a)
		for _, f := range []modelstest.Fixture{hostile, plain, minus} {
			b.flashAfter(b.post(fmt.Sprintf("/admin/payouts/%d/approve", f.Payout), nil, true))
		}
		// The batch is paid before the month ends; one more credit is approved after.
		db.Clock.Set(time.Date(2019, 3, 29, 17, 0, 0, 0, time.UTC))
		b.signIn("staff@example.com", "correct horse", "/admin")
		b.flashAfter(b.post("/admin/batches/2019-03/pay", nil, true))
		db.Clock.Set(time.Date(2019, 3, 31, 17, 0, 0, 0, time.UTC))
		b.signIn("staff@example.com", "correct horse", "/admin")
		b.flashAfter(b.post(fmt.Sprintf("/admin/payouts/%d/approve", late.Payout), nil, true)) // approved, not yet paid

		res := b.get("/admin/batches/2019-03/export.csv")
		if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(res.header.Get("Content-Disposition"), "referral-credits-2019-03.csv") {
			t.Fatalf("export: %d %v", res.status, res.header)
		}
		records, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, name := range records[0] {
			col[name] = i
		}
		rows := records[1:]
		if len(rows) != 4 {
			t.Fatalf("%d rows, want one per payout (4)", len(rows))
		}
		var paidCents int64
		for _, r := range rows {
			cents, err := models.ParseDollars(r[col["amount"]])
			if err != nil {
				t.Errorf("amount %q is not a plain decimal: %v", r[col["amount"]], err)
			}
			if r[col["status"]] == "paid" {
				paidCents += cents
				if r[col["ledger_entry_id"]] == "" || r[col["paid_at"]] == "" {
					t.Errorf("paid row without its ledger entry: %v", r)
				}
			}
			if r[col["due_date"]] != "2019-04-05" {
				t.Errorf("due date %q", r[col["due_date"]])
			}
			for _, c := range []string{"referrer_name", "friend_name", "referrer_email"} {
				if v := r[col[c]]; v != "" && strings.ContainsRune("=+-@", rune(v[0])) {
					t.Errorf("%s %q would run as a formula", c, v)
				}
			}
		}
		var ledger int64
		db.QueryRow(t, "SELECT COALESCE(SUM(amount_cents), 0) FROM ledger_entries", []any{&ledger})
		if paidCents != ledger || ledger != 30000 {
			t.Errorf("export's paid rows total %d cents, ledger %d", paidCents, ledger)
		}
		if got := rows[0][col["friend_name"]]; got != `'=HYPERLINK("http://evil.example","x")` {
			t.Errorf("friend name cell %q", got)
		}
		if got := rows[0][col["referrer_name"]]; got != "'@SUM(1+1)" {
			t.Errorf("referrer name cell %q", got)
		}
		if got := rows[2][col["friend_name"]]; got != "'-2+3 Dash" {
			t.Errorf("friend name cell %q", got)
		}
	})
}

func TestProgramsCanBeCreatedEditedAndRunFromTheirPage(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		b := signedInAdmin(t, a)
		a.createUser(t, models.NewUser{Email: "rita@example.com", TopRated: true})

		if res := b.get("/admin/programs/new"); res.status != http.StatusOK || byID(parse(t, res.body), "slug") == nil {
			t.Fatalf("new program page: %d", res.status)
		}
		bad := url.Values{"slug": {"Bad Slug"}, "name": {"Support"}, "deadline": {"2019-06-30"}, "reward": {"ten"}, "business_days": {"0"}, "status": {"active"}}
		res := b.post("/admin/programs", bad, true)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid program: %d, want 422", res.status)
		}
		doc := parse(t, res.body)
		for _, id := range []string{"slug-error", "reward-error", "business_days-error"} {
			if byID(doc, id) == nil {
				t.Errorf("no %s beside its field", id)
			}
		}
		if attr(byID(doc, "name"), "value") != "Support" {
			t.Error("the input was not kept")
		}
		good := url.Values{"slug": {"support"}, "name": {"Support referrals"}, "deadline": {"2019-06-30"}, "categories": {"Customer Service"}, "categories_other": {"Technical Support"},
			"threshold": {"400"}, "reward": {"75"}, "countries": {"US, CA"}, "time_zone": {"America/New_York"}, "perk_months": {"2"},
			"business_days": {"3"}, "reminder_days": {"5"}, "status": {"active"}}
		if flash := b.flashAfter(b.post("/admin/programs", good, true)); !strings.Contains(flash, "Created the program Support referrals") {
			t.Errorf("create: flash %q", flash)
		}
		p, err := db.Store.ProgramBySlug(t.Context(), "support")
		if err != nil || p.RewardCents != 7500 || p.PayoutBusinessDays != 3 || len(p.Countries) != 2 || p.Categories[1] != "Technical Support" || p.PerkMonths != 2 {
			t.Fatalf("created %+v, %v", p, err)
		}

		edit := good
		edit.Set("reward", "80")
		edit.Set("business_days", "31")
		if res := b.post("/admin/programs/support", edit, true); res.status != http.StatusUnprocessableEntity || byID(parse(t, res.body), "business_days-error") == nil {
			t.Fatalf("invalid edit: %d", res.status)
		}
		edit.Set("business_days", "4")
		if flash := b.flashAfter(b.post("/admin/programs/support", edit, true)); !strings.Contains(flash, "Saved") {
			t.Errorf("edit: flash %q", flash)
		}
		if n := db.Count(t, "audit_events", "action = 'program.update' AND target = 'support' AND details LIKE '%reward_cents%' AND actor = 'staff@example.com'"); n != 1 {
			t.Error("the edit was not audited with what changed")
		}

		if flash := b.flashAfter(b.post("/admin/programs/support/invite", nil, true)); flash != "1 invitation sent." {
			t.Errorf("invite: flash %q", flash)
		}
		if flash := b.flashAfter(b.post("/admin/programs/support/invite", nil, true)); flash != "0 invitations sent." {
			t.Errorf("second invite: flash %q", flash)
		}
		if flash := b.flashAfter(b.post("/admin/programs/support/remind", nil, true)); flash != "0 reminders sent." {
			t.Errorf("remind: flash %q", flash)
		}
		page := parse(t, b.get("/admin/programs/support").body)
		if text(byID(page, "invited-count")) != "1" {
			t.Errorf("invited count %q", text(byID(page, "invited-count")))
		}
		list := parse(t, b.get("/admin/programs").body)
		if find(list, func(n *html.Node) bool { return attr(n, "data-program") == "support" }) == nil {
			t.Error("the new program is not listed")
		}
		if res := b.get("/admin/programs/nope"); res.status != http.StatusNotFound {
			t.Errorf("unknown program: %d", res.status)
		}
	})
}

func TestOverviewShowsTotalsAndAFunnelWithoutInlineStyles(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		f := pendingFor(t, a, "Sam Rivera")
		pendingFor(t, a, "Priya Patel")
		b := signedInAdmin(t, a)
		b.flashAfter(b.post(fmt.Sprintf("/admin/payouts/%d/approve", f.Payout), nil, true))

		doc := parse(t, b.get("/admin").body)
		if text(byID(doc, "pending-count")) != "1" || text(byID(doc, "owed")) != "$100.00" || text(byID(doc, "paid")) != "$0.00" {
			t.Errorf("totals: pending %q, owed %q, paid %q", text(byID(doc, "pending-count")), text(byID(doc, "owed")), text(byID(doc, "paid")))
		}
		steps := findAll(byID(doc, "funnel"), func(n *html.Node) bool { return n.Data == "li" })
		want := []string{"Signed up 2", "Earning 2 100%", "Qualified 2 100%", "Credit approved 1 50%", "Credit paid 0 0%"}
		if len(steps) != len(want) {
			t.Fatalf("%d funnel steps", len(steps))
		}
		for i, w := range want {
			if text(steps[i]) != w {
				t.Errorf("funnel step %q, want %q", text(steps[i]), w)
			}
		}
		if reach := text(byID(doc, "reach")); !strings.HasPrefix(reach, "1 referrer invited; their links were opened 0 times") {
			t.Errorf("reach %q", reach)
		}
		inbox := byID(doc, "inbox")
		if got := text(byID(inbox, "inbox-review")); got != "1 credit to review →" {
			t.Errorf("inbox review %q", got)
		}
		if got := text(byID(inbox, "inbox-pay")); got != "$100.00 approved, ready to pay by Apr 5, 2019 →" || attr(byID(inbox, "inbox-pay"), "href") != "/admin/batches/2019-03" {
			t.Errorf("inbox pay %q", got)
		}
		if weeks := findAll(byID(doc, "series-table"), func(n *html.Node) bool { return n.Data == "tr" }); len(weeks) != 13 {
			t.Errorf("%d weekly rows, want 12 weeks and a header", len(weeks))
		}
		for path, status := range map[string]int{"/admin?from=2019-02-25&to=2019-03-10&program=customer-service": 200,
			"/admin?from=yesterday": 400, "/admin?program=nope": 400, "/admin?from=2019-03-10&to=2019-03-01": 400, "/admin?from=2010-01-01&to=2019-01-01": 400} {
			if res := b.get(path); res.status != status {
				t.Errorf("%s: %d, want %d", path, res.status, status)
			}
		}
		ranged := parse(t, b.get("/admin?from=2019-02-25&to=2019-03-10&program=customer-service").body)
		if weeks := findAll(byID(ranged, "series-table"), func(n *html.Node) bool { return n.Data == "tr" }); len(weeks) != 3 || !strings.HasPrefix(text(weeks[1]), "Feb 25, 2019 2 1") || !strings.HasPrefix(text(weeks[2]), "Mar 4, 2019 0 1") {
			var got []string
			for _, w := range weeks {
				got = append(got, text(w))
			}
			t.Errorf("ranged weeks %q", got)
		}
		for _, path := range []string{"/admin", "/admin/payouts", fmt.Sprintf("/admin/payouts/%d", f.Payout), "/admin/batches", "/admin/batches/2019-03",
			"/admin/programs", "/admin/programs/customer-service", "/admin/programs/new", "/admin/referrals", "/admin/audit", "/admin/outbox"} {
			res := b.get(path)
			if res.status != http.StatusOK {
				t.Errorf("GET %s: %d", path, res.status)
				continue
			}
			if n := find(parse(t, res.body), func(n *html.Node) bool { return hasAttr(n, "style") || n.Data == "style" }); n != nil {
				t.Errorf("%s has inline style on <%s>, which the CSP refuses", path, n.Data)
			}
		}
	})
}

func TestReferralsAuditAndOutboxLists(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		f := pendingFor(t, a, "Sam Rivera")
		_, code := db.FixtureReferrer(t, "maria@example.com", "")
		db.FixtureSignUp(t, code, "Priya Patel", "priya@example.com", "") // signs up, never qualifies
		b := signedInAdmin(t, a)
		b.flashAfter(b.post(fmt.Sprintf("/admin/payouts/%d/approve", f.Payout), nil, true))

		refs := parse(t, b.get("/admin/referrals?q=sam").body)
		rows := findAll(refs, func(n *html.Node) bool { return attr(n, "data-referral-id") != "" })
		if len(rows) != 1 || !strings.Contains(text(rows[0]), "Qualified") || !strings.Contains(text(rows[0]), "Approved") {
			t.Errorf("referrals matching sam: %d rows", len(rows))
		}

		audit := parse(t, b.get("/admin/audit?action=payout.approve").body)
		events := findAll(audit, func(n *html.Node) bool { return attr(n, "data-audit-id") != "" })
		if len(events) != 1 {
			t.Fatalf("%d approval events", len(events))
		}
		for _, want := range []string{"staff@example.com", "Approved", fmt.Sprintf("payout:%d", f.Payout), "$100.00", "2019-03"} {
			if !strings.Contains(text(events[0]), want) {
				t.Errorf("event %q lacks %q", text(events[0]), want)
			}
		}
		if n := findAll(parse(t, b.get("/admin/audit?actor=nobody").body), func(n *html.Node) bool { return attr(n, "data-audit-id") != "" }); len(n) != 0 {
			t.Errorf("actor filter: %d events", len(n))
		}

		outbox := parse(t, b.get("/admin/outbox?kind=friend_joined").body)
		emails := findAll(outbox, func(n *html.Node) bool { return attr(n, "data-email-id") != "" })
		if len(emails) != 2 {
			t.Fatalf("%d friend-joined emails listed, want 2", len(emails))
		}
		body := parse(t, b.get("/admin/outbox/"+attr(emails[0], "data-email-id")).body)
		if !strings.Contains(text(byID(body, "email-body")), "signed up through your invite link") {
			t.Errorf("email body %q", text(byID(body, "email-body")))
		}

		// After the deadline, a referral that did not qualify shows as expired (R9).
		db.Clock.Set(f.Program.Deadline.Add(time.Hour))
		b.signIn("staff@example.com", "correct horse", "/admin")
		expired := findAll(parse(t, b.get("/admin/referrals?status=expired").body), func(n *html.Node) bool { return attr(n, "data-referral-id") != "" })
		if len(expired) != 1 || !strings.Contains(text(expired[0]), "Priya Patel") || !strings.Contains(text(expired[0]), "Expired") {
			t.Errorf("expired referrals: %d", len(expired))
		}
	})
}

func TestAFailedEmailCanBeSentAgainOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		pendingFor(t, a, "Sam Rivera")
		b := signedInAdmin(t, a)
		var id int64
		db.QueryRow(t, "SELECT MIN(id) FROM emails", []any{&id})
		// Its delivery fails for good: the server refused it.
		if _, claimed, err := db.Store.ClaimEmail(t.Context(), id); err != nil || !claimed {
			t.Fatalf("claim email %d: %v, %v", id, claimed, err)
		}
		if err := db.Store.FinishEmailAttempt(t.Context(), id, models.EmailFailed, "550 mailbox unavailable", nil); err != nil {
			t.Fatal(err)
		}

		page := parse(t, b.get(fmt.Sprintf("/admin/outbox/%d", id)).body)
		if byID(page, "retry-email") == nil {
			t.Fatal("a failed email has no Send again button")
		}
		if got := b.flashAfter(b.post(fmt.Sprintf("/admin/outbox/%d/retry", id), nil, true)); !strings.Contains(got, "Queued again") {
			t.Errorf("retry says %q", got)
		}
		if db.Count(t, "emails", "id = ? AND status = 'queued'", id) != 1 || db.Count(t, "audit_events", "action = 'email.retry'") != 1 {
			t.Error("the email was not queued again, or the retry was not audited")
		}
		if got := b.flashAfter(b.post(fmt.Sprintf("/admin/outbox/%d/retry", id), nil, true)); !strings.Contains(got, "not failed") {
			t.Errorf("a second retry says %q", got)
		}
		if byID(parse(t, b.get(fmt.Sprintf("/admin/outbox/%d", id)).body), "retry-email") != nil {
			t.Error("a queued email offers Send again")
		}
	})
}
