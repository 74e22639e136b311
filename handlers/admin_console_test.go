package handlers_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"referrals/models"
	"referrals/models/modelstest"
)

// queueRows is the payout ids a queue page lists, in order.
func queueRows(t *testing.T, b *browser, path string) []string {
	t.Helper()
	res := b.get(path)
	if res.status != http.StatusOK {
		t.Fatalf("GET %s: %d: %.300s", path, res.status, res.body)
	}
	var ids []string
	for _, tr := range findAll(parse(t, res.body), func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-payout-id") != "" }) {
		ids = append(ids, attr(tr, "data-payout-id"))
	}
	return ids
}

func ids(ns ...int64) []string {
	var out []string
	for _, n := range ns {
		out = append(out, fmt.Sprint(n))
	}
	return out
}

// payoutCreated is when a payout was created, as the exports write times.
func payoutCreated(t *testing.T, a *app, id int64) string {
	t.Helper()
	d, err := a.Store.Payout(t.Context(), id, models.Paging{})
	if err != nil {
		t.Fatal(err)
	}
	return d.CreatedAt.UTC().Format(time.RFC3339)
}

// readCSV fetches an export and parses it.
func readCSV(t *testing.T, b *browser, path string) [][]string {
	t.Helper()
	res := b.get(path)
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET %s: %d %s: %.300s", path, res.status, res.header.Get("Content-Type"), res.body)
	}
	rows, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// flaggedFor creates a payout of maria's for a new friend, through the facts behind
// flags.
func flaggedFor(t *testing.T, a *app, friend string, flags ...string) modelstest.Fixture {
	t.Helper()
	return a.FlaggedPayoutFixture(t, modelstest.PendingPayout{
		ReferrerEmail: "maria@example.com",
		FriendEmail:   strings.ToLower(strings.Fields(friend)[0]) + "@example.com",
		FriendName:    friend,
	}, flags...)
}

// triageFixture is four payouts of maria's, made one after the other: one approved,
// three pending with different flags. Fixtures move the clock by days, so tests make
// them before signing in.
type triageFixture struct{ fast, none, client, approved modelstest.Fixture }

func newTriage(t *testing.T, a *app) triageFixture {
	t.Helper()
	var f triageFixture
	f.fast = flaggedFor(t, a, "Ann Fast", models.FlagFast)
	f.none = flaggedFor(t, a, "Bo None")
	f.client = flaggedFor(t, a, "Cy =HYPERLINK(\"http://evil\")", models.FlagReferrerIsClient, models.FlagFast)
	f.approved = flaggedFor(t, a, "Di Decided", models.FlagSameIP)
	if _, err := a.Store.Approve(t.Context(), models.CLIActor(), f.approved.Payout); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestReviewQueueFiltersAndSorts(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		f := newTriage(t, a)
		b := signedInAdmin(t, a)
		for path, want := range map[string][]string{
			"/admin/payouts": ids(f.fast.Payout, f.none.Payout, f.client.Payout),
			"/admin/payouts?status=pending_review&sort=oldest":              ids(f.fast.Payout, f.none.Payout, f.client.Payout),
			"/admin/payouts?sort=newest":                                    ids(f.client.Payout, f.none.Payout, f.fast.Payout),
			"/admin/payouts?sort=risk":                                      ids(f.client.Payout, f.fast.Payout, f.none.Payout),
			"/admin/payouts?status=all&sort=risk":                           ids(f.client.Payout, f.approved.Payout, f.fast.Payout, f.none.Payout),
			"/admin/payouts?status=approved":                                ids(f.approved.Payout),
			"/admin/payouts?status=paid":                                    nil,
			"/admin/payouts?flag=fast":                                      ids(f.fast.Payout, f.client.Payout),
			"/admin/payouts?flag=same_ip&status=all":                        ids(f.approved.Payout),
			"/admin/payouts?program=customer-service&sort=newest&flag=fast": ids(f.client.Payout, f.fast.Payout),
			"/admin/payouts?q=bo@example.com":                               ids(f.none.Payout),
			"/admin/payouts?q=ANN":                                          ids(f.fast.Payout),
		} {
			if got := queueRows(t, b, path); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %v, want %v", path, got, want)
			}
		}
		// The filters are kept by the tabs, the pager and the export link.
		doc := parse(t, b.get("/admin/payouts?flag=fast&sort=risk").body)
		if href := attr(byID(doc, "export-csv"), "href"); href != "/admin/payouts.csv?flag=fast&sort=risk" {
			t.Errorf("export link %q", href)
		}
		tab := find(doc, func(n *html.Node) bool { return n.Data == "a" && strings.Contains(attr(n, "href"), "status=all") })
		if tab == nil || !strings.Contains(attr(tab, "href"), "flag=fast") || !strings.Contains(attr(tab, "href"), "sort=risk") {
			t.Errorf("the All tab drops the filters: %v", tab)
		}
		// Flags are coloured by severity.
		badge := find(doc, func(n *html.Node) bool { return n.Data == "span" && text(n) == "Referrer was the client" })
		if badge == nil || !strings.Contains(attr(badge, "class"), "badge-bad") {
			t.Error("referrer_is_client is not shown as the most severe")
		}
		for path, want := range map[string]int{
			"/admin/payouts?status=open":                 http.StatusBadRequest,
			"/admin/payouts?flag=sneaky":                 http.StatusBadRequest,
			"/admin/payouts?program=no-such":             http.StatusBadRequest,
			"/admin/payouts?sort=alphabetical":           http.StatusBadRequest,
			"/admin/payouts?page=two":                    http.StatusBadRequest,
			"/admin/payouts?page=7":                      http.StatusNotFound,
			"/admin/payouts.csv?sort=alphabetical":       http.StatusBadRequest,
			"/admin/referrals?status=pending":            http.StatusBadRequest,
			"/admin/referrals?program=no-such":           http.StatusBadRequest,
			"/admin/referrals.csv?program=no-such":       http.StatusBadRequest,
			"/admin/audit?action=payout.obliterate":      http.StatusBadRequest,
			"/admin/audit.csv?page=-1":                   http.StatusBadRequest,
			"/admin/outbox?status=lost":                  http.StatusBadRequest,
			"/admin/payouts?page=41":                     http.StatusBadRequest,
			"/admin/audit?page=41":                       http.StatusBadRequest,
			"/admin/outbox?page=1000":                    http.StatusBadRequest,
			"/admin/referrals?page=99999999999999999999": http.StatusBadRequest,
			"/admin/batches?page=999999999999999999":     http.StatusOK,
			"/admin/programs?page=999999999999999999":    http.StatusOK,
		} {
			if res := b.get(path); res.status != want {
				t.Errorf("%s: %d, want %d", path, res.status, want)
			} else if want == http.StatusBadRequest && !strings.Contains(res.body, "There is no") && !strings.Contains(res.body, "holds no") &&
				!strings.Contains(res.body, "whole number") && !strings.Contains(res.body, "Lists show their first 40 pages") {
				t.Errorf("%s: the 400 page does not say what is wrong: %.400s", path, res.body)
			}
		}
	})
}

func TestPayoutsCSVExportsTheFilteredQueueWithFormulasNeutralised(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		f := newTriage(t, a)
		evil := a.PendingPayoutFixture(t, modelstest.PendingPayout{ReferrerEmail: "evil@example.com", ReferrerName: "=cmd|' /C calc'!A0",
			FriendEmail: "pal@example.com", FriendName: "@SUM(1)"})
		b := signedInAdmin(t, a)
		rows := readCSV(t, b, "/admin/payouts.csv?flag=fast&sort=risk")
		if got := strings.Join(rows[0], ","); got != "payout_id,program,referrer_email,referrer_name,friend_email,friend_name,amount,status,flags,created_at,decided_at,decided_by,batch_month,paid_at" {
			t.Fatalf("header %s", got)
		}
		if len(rows) != 3 || rows[1][0] != fmt.Sprint(f.client.Payout) || rows[2][0] != fmt.Sprint(f.fast.Payout) {
			t.Fatalf("rows %v, want the two fast payouts, riskiest first", rows[1:])
		}
		client := rows[1]
		if client[5] != `Cy =HYPERLINK("http://evil")` { // starts with a letter: a spreadsheet shows it as text
			t.Errorf("friend name %q", client[5])
		}
		created := payoutCreated(t, a, f.client.Payout)
		want := []string{"customer-service", "maria@example.com", "Maria Santos", "100.00", "pending_review", "referrer_is_client;fast", created, "", "", "", ""}
		if got := append(client[1:4:4], client[6:]...); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("row %q, want %q", got, want)
		}
		approved := readCSV(t, b, "/admin/payouts.csv?status=approved")
		if len(approved) != 2 || approved[1][10] == "" || approved[1][11] != "" || approved[1][12] != "2019-03" {
			t.Errorf("approved export %q", approved)
		}
		// A cell a spreadsheet would run is neutralised.
		rows = readCSV(t, b, "/admin/payouts.csv?q=evil@example.com")
		if len(rows) != 2 || rows[1][0] != fmt.Sprint(evil.Payout) || rows[1][3] != "'=cmd|' /C calc'!A0" || rows[1][5] != "'@SUM(1)" {
			t.Errorf("neutralised row %q", rows)
		}
	})
}

func TestReferralsAndAuditCSVKeepTheListsFilters(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		f := newTriage(t, a)
		b := signedInAdmin(t, a)
		rows := readCSV(t, b, "/admin/referrals.csv?program=customer-service&status=qualified")
		if got := strings.Join(rows[0], ","); got != "referral_id,program,referrer_email,referrer_name,friend_email,friend_name,registered_at,counted,status,qualified_at" {
			t.Fatalf("header %s", got)
		}
		if len(rows) != 5 || rows[1][0] != fmt.Sprint(f.approved.Referral) || rows[1][7] != "500.00" || rows[1][8] != "qualified" ||
			!strings.HasPrefix(rows[1][6], "2019-03-") || rows[1][9] != payoutCreated(t, a, f.approved.Payout) {
			t.Errorf("referrals %q", rows)
		}
		if rows := readCSV(t, b, "/admin/referrals.csv?status=registered"); len(rows) != 1 {
			t.Errorf("no referral is only registered: %q", rows)
		}
		if rows := readCSV(t, b, "/admin/referrals.csv?q=bo@example.com"); len(rows) != 2 || rows[1][5] != "Bo None" {
			t.Errorf("search: %q", rows)
		}

		audit := readCSV(t, b, "/admin/audit.csv?action=payout.approve")
		if got := strings.Join(audit[0], ","); got != "id,at,actor,action,target,details,ip" {
			t.Fatalf("header %s", got)
		}
		if len(audit) != 2 || audit[1][2] != "cli" || audit[1][3] != "payout.approve" || audit[1][4] != fmt.Sprintf("payout:%d", f.approved.Payout) ||
			!strings.Contains(audit[1][5], `"batch_month":"2019-03"`) || !strings.HasPrefix(audit[1][1], "2019-03-") {
			t.Errorf("audit %q", audit)
		}
		if all := readCSV(t, b, "/admin/audit.csv"); len(all) < 3 {
			t.Errorf("the whole log: %d rows", len(all))
		}
	})
}

func TestAfterADecisionTheNextPayoutOfTheSameQueueOpens(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		f := newTriage(t, a)
		b := signedInAdmin(t, a)
		queue := "/admin/payouts?sort=risk"
		// Riskiest first: client, then fast, then none. Approving client opens fast.
		res := b.post(fmt.Sprintf("/admin/payouts/%d/approve", f.client.Payout), url.Values{"next": {queue}, "then": {"next"}}, true)
		want := fmt.Sprintf("/admin/payouts/%d?next=%s", f.fast.Payout, url.QueryEscape(queue))
		if res.status != http.StatusSeeOther || res.location != want {
			t.Fatalf("after approving: %d to %q, want %q", res.status, res.location, want)
		}
		if flash := b.flashAfter(res); !strings.Contains(flash, fmt.Sprintf("Next: payout %d", f.fast.Payout)) {
			t.Errorf("flash %q", flash)
		}
		// A canned reason picked without JavaScript (the text left empty) is the reason.
		reason := models.RejectionReasons()[2]
		res = b.post(fmt.Sprintf("/admin/payouts/%d/reject", f.fast.Payout), url.Values{"next": {queue}, "then": {"next"}, "reason_preset": {reason}}, true)
		if want := fmt.Sprintf("/admin/payouts/%d?next=%s", f.none.Payout, url.QueryEscape(queue)); res.location != want {
			t.Fatalf("after rejecting: to %q, want %q", res.location, want)
		}
		var stored string
		db.QueryRow(t, "SELECT reject_reason FROM payouts WHERE id = ?", []any{&stored}, f.fast.Payout)
		if stored != reason {
			t.Errorf("stored reason %q", stored)
		}
		// From the queue's own buttons (no then=next) the queue comes back.
		res = b.post(fmt.Sprintf("/admin/payouts/%d/approve", f.none.Payout), url.Values{"next": {queue}}, true)
		if flash := b.flashAfter(res); res.location != queue || strings.Contains(flash, "Next:") {
			t.Errorf("approving from the queue: to %q, %q", res.location, flash)
		}
		// A stale page's decision still answers "already decided".
		res = b.post(fmt.Sprintf("/admin/payouts/%d/approve", f.none.Payout), url.Values{"next": {queue}, "then": {"next"}}, true)
		if flash := b.flashAfter(res); !strings.Contains(flash, "already decided") {
			t.Errorf("stale decision: %q", flash)
		}
		// The payout page shows the referrer's earlier rejection.
		doc := parse(t, b.get(fmt.Sprintf("/admin/payouts/%d", f.approved.Payout)).body)
		past := byID(doc, "past-rejections")
		if past == nil || !strings.Contains(text(past), reason) || !strings.Contains(text(past), "Ann Fast") {
			t.Errorf("earlier rejections: %v", past)
		}
		if byID(doc, "referrer-link") == nil || attr(byID(doc, "referral-link"), "href") != fmt.Sprintf("/admin/referrals/%d", f.approved.Referral) {
			t.Error("the payout page does not link its referrer and referral")
		}
	})
}

func TestReferralAndReferrerPages(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		f := newTriage(t, a)
		b := signedInAdmin(t, a)
		if _, err := a.Store.Reject(t.Context(), models.CLIActor(), f.client.Payout, models.RejectionReasons()[0]); err != nil {
			t.Fatal(err)
		}
		res := b.get(fmt.Sprintf("/admin/referrals/%d", f.approved.Referral))
		if res.status != http.StatusOK {
			t.Fatalf("referral page: %d", res.status)
		}
		doc := parse(t, res.body)
		var kinds []string
		for _, li := range findAll(byID(doc, "timeline"), func(n *html.Node) bool { return n.Data == "li" && attr(n, "data-kind") != "" }) {
			kinds = append(kinds, attr(li, "data-kind"))
		}
		slices.Sort(kinds)
		if got := strings.Join(kinds, " "); got != "decided earning earning email email email email flagged invited joined qualified" {
			t.Errorf("timeline %s", got)
		}
		timeline := text(byID(doc, "timeline"))
		for _, want := range []string{"Referrer invited", "signed up through the link. From 198.51.100.77", "Earning counted: $300.00", "Approved by cli",
			"Joins the 2019-03 batch", "Email: Friend joined", "Email: Credit approved"} {
			if !strings.Contains(timeline, want) {
				t.Errorf("timeline lacks %q: %s", want, timeline)
			}
		}
		if attr(byID(doc, "referrer-link"), "href") != fmt.Sprintf("/admin/referrers/%d", f.approved.Referrer.ID) {
			t.Error("no link to the referrer")
		}

		res = b.get(fmt.Sprintf("/admin/referrers/%d", f.approved.Referrer.ID))
		if res.status != http.StatusOK {
			t.Fatalf("referrer page: %d", res.status)
		}
		doc = parse(t, res.body)
		past := byID(doc, "past-rejections")
		if past == nil || !strings.Contains(text(past), "Your own client account paid your friend") || !strings.Contains(text(past), "Referrer was the client") {
			t.Errorf("the referrer-was-the-client rejection is not shown: %v", past)
		}
		if n := len(findAll(byID(doc, "referrer-friends"), func(n *html.Node) bool { return attr(n, "data-referral-id") != "" })); n != 4 {
			t.Errorf("%d friends, want 4", n)
		}
		if n := len(findAll(byID(doc, "referrer-payouts"), func(n *html.Node) bool { return attr(n, "data-payout-id") != "" })); n != 4 {
			t.Errorf("%d payouts, want 4", n)
		}
		for path, want := range map[string]int{
			"/admin/referrals/abc":    http.StatusBadRequest,
			"/admin/referrals/0":      http.StatusBadRequest,
			"/admin/referrals/999999": http.StatusNotFound,
			"/admin/referrers/x1":     http.StatusBadRequest,
			"/admin/referrers/999999": http.StatusNotFound,
		} {
			if res := b.get(path); res.status != want {
				t.Errorf("%s: %d, want %d", path, res.status, want)
			}
		}
		staff, _ := a.Store.UserByEmail(t.Context(), "staff@example.com")
		if res := b.get(fmt.Sprintf("/admin/referrers/%d", staff.ID)); res.status != http.StatusNotFound {
			t.Errorf("a staff member's id as a referrer: %d, want 404", res.status)
		}
	})
}

func TestProgramFormShowsLockedSettingsAndPickers(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.FixtureProgram(t)
		b := signedInAdmin(t, a)
		blank := parse(t, b.get("/admin/programs/new").body)
		if tz := byID(blank, "time_zone"); tz == nil || tz.Data != "select" || find(tz, func(n *html.Node) bool { return attr(n, "value") == "Europe/Paris" }) == nil {
			t.Error("no IANA time zone picker")
		}
		if c := byID(blank, "countries"); c == nil || c.Data != "select" || !hasAttr(c, "multiple") {
			t.Error("no countries picker")
		}
		if n := len(findAll(blank, func(n *html.Node) bool { return attr(n, "name") == "categories" && attr(n, "type") == "checkbox" })); n < 10 {
			t.Errorf("%d category choices", n)
		}
		if n := len(findAll(blank, func(n *html.Node) bool { return hasAttr(n, "data-locked") })); n != 0 {
			t.Errorf("a program without friends shows %d locked settings", n)
		}

		a.FixtureReferrer(t, "maria@example.com", "")
		_, code := a.FixtureReferrer(t, "maria@example.com", "")
		a.FixtureSignUp(t, code, "Sam Rivera", "sam@example.com", "") // a friend signed up: the rules are fixed
		res := b.get("/admin/programs/customer-service")
		doc := parse(t, res.body)
		locked := findAll(doc, func(n *html.Node) bool { return hasAttr(n, "data-locked") })
		if len(locked) != 5 || !strings.Contains(text(locked[0]), "friends have signed up") {
			t.Fatalf("%d locked settings, want 5 with the reason", len(locked))
		}
		if byID(doc, "threshold") != nil || byID(doc, "deadline") != nil {
			t.Error("a locked setting can still be edited")
		}
		// The form as shown (locked values carried along) saves what may change.
		form := url.Values{}
		for _, in := range findAll(find(doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "class") == "program-form" }),
			func(n *html.Node) bool {
				return (n.Data == "input" || n.Data == "textarea") && attr(n, "name") != "" && attr(n, "name") != "_csrf"
			}) {
			if attr(in, "type") != "checkbox" || hasAttr(in, "checked") {
				form.Add(attr(in, "name"), attr(in, "value"))
			}
		}
		form.Set("reward", "120")
		form.Set("countries", "US")
		form.Set("time_zone", "America/Los_Angeles")
		form.Set("status", "active")
		if flash := b.flashAfter(b.post("/admin/programs/customer-service", form, true)); !strings.Contains(flash, "Saved") {
			t.Errorf("saving the shown form: %q", flash)
		}
		if p, _ := a.Store.ProgramBySlug(t.Context(), "customer-service"); p.RewardCents != 12000 || p.ThresholdCents != 50000 {
			t.Errorf("after saving: %+v", p)
		}
	})
}

// Every staff role reads the new pages and every export; freelancers get 403 and
// anonymous visitors are sent to sign in.
func TestEveryStaffRoleReadsTheNewPagesAndExports(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		f := flaggedFor(t, a, "Sam Rivera", models.FlagFast)
		paths := []string{fmt.Sprintf("/admin/referrals/%d", f.Referral), fmt.Sprintf("/admin/referrers/%d", f.Referrer.ID),
			"/admin/payouts.csv?status=all", "/admin/referrals.csv", "/admin/audit.csv", "/admin/payouts?flag=fast&sort=risk"}
		for _, r := range []models.Role{models.RoleReviewer, models.RoleFinance, models.RoleOwner} {
			email := string(r) + "@example.com"
			a.createUser(t, models.NewUser{Email: email, Role: r})
			b := a.browser(t)
			b.signIn(email, "correct horse", "/admin")
			for _, path := range paths {
				if res := b.get(path); res.status != http.StatusOK {
					t.Errorf("%s as %s: %d, want 200", path, r, res.status)
				}
			}
		}
		freelancer := a.browser(t)
		freelancer.signIn("maria@example.com", "correct horse", "/dashboard")
		anonymous := a.browser(t)
		for _, path := range paths {
			if res := freelancer.get(path); res.status != http.StatusForbidden {
				t.Errorf("%s as a freelancer: %d, want 403", path, res.status)
			}
			if res := anonymous.get(path); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/login") {
				t.Errorf("%s anonymous: %d %q, want 303 to /login", path, res.status, res.location)
			}
		}
	})
}
