//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"referrals/models"
	"referrals/models/modelstest"
)

// triageSite is the demo site with more credits waiting: two that qualified fast and
// one whose friend signed up from the referrer's address. Fixtures move the clock by
// days, so they come before anyone signs in.
func triageSite(t *testing.T) *site {
	t.Helper()
	s := startSite(t)
	for i, flags := range [][]string{{models.FlagFast}, {models.FlagSameIP}, {models.FlagFast}} {
		s.DB.FlaggedPayoutFixture(t, modelstest.PendingPayout{
			ReferrerEmail: "rita@example.com", ReferrerName: "Rita Reyes", FriendEmail: fmt.Sprintf("triage%d@example.com", i), FriendName: fmt.Sprintf("Triage Friend%d", i),
		}, flags...)
	}
	return s
}

func TestTriageByFlagThenBulkApproveWithTheCountShown(t *testing.T) {
	s := triageSite(t)
	admin := newBrowser(t, s)
	admin.signIn("admin@example.com")
	admin.open("/admin/payouts")
	admin.do(chromedp.SetValue(chromedp.CSS("#flag"), models.FlagFast))
	admin.submit(`#queue-filters button[type=submit]`)
	if got := admin.path(); !strings.Contains(got, "flag=fast") {
		t.Fatalf("after filtering at %s", got)
	}
	rows := value(admin, chromedp.Evaluate[[]string](`[...document.querySelectorAll("tr[data-payout-id]")].map(r => r.innerText)`))
	for _, r := range rows {
		if !strings.Contains(r, "Qualified fast") {
			t.Errorf("a row without the fast flag: %q", r)
		}
	}
	if len(rows) < 2 {
		t.Fatalf("%d fast payouts listed, want at least 2", len(rows))
	}
	if !value(admin, chromedp.Evaluate[bool](`document.querySelector("#approve-selected").disabled`)) {
		t.Error("the bulk button is enabled with nothing selected")
	}
	admin.checkA11y("/admin/payouts?flag=fast")
	admin.do(chromedp.Click(chromedp.CSS("#select-all")))
	want := fmt.Sprintf("Approve %d · $%d.00", len(rows), 100*len(rows))
	if got := admin.text("#approve-selected"); got != want {
		t.Errorf("bulk button says %q, want %q", got, want)
	}
	admin.shoot("admin-payouts-triage-selected")
	admin.submit("#approve-selected")
	if got := admin.text(".flash"); !strings.Contains(got, fmt.Sprintf("%d approved", len(rows))) {
		t.Fatalf("after the bulk approval the page says %q", got)
	}
	if n := value(admin, chromedp.Evaluate[int](`document.querySelectorAll("tr[data-payout-id]").length`)); n != 0 {
		t.Errorf("%d fast payouts still pending", n)
	}
}

func TestTheNextPayoutOpensAfterADecision(t *testing.T) {
	s := triageSite(t)
	admin := newBrowser(t, s)
	admin.signIn("admin@example.com")
	admin.open("/admin/payouts?sort=risk")
	ids := value(admin, chromedp.Evaluate[[]string](`[...document.querySelectorAll("tr[data-payout-id]")].map(r => r.dataset.payoutId)`))
	if len(ids) < 2 {
		t.Fatalf("%d payouts pending", len(ids))
	}
	admin.submit(`tr[data-payout-id="` + ids[0] + `"] a.btn-secondary`)
	admin.visit(admin.path(), "admin-payout-review")
	value(admin, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS("#approve"))))
	if got := admin.path(); !strings.HasPrefix(got, "/admin/payouts/"+ids[1]+"?next=") {
		t.Fatalf("after approving payout %s the browser is at %s, want payout %s", ids[0], got, ids[1])
	}
	if got := admin.text(".flash"); !strings.Contains(got, "Next: payout "+ids[1]) {
		t.Errorf("flash %q", got)
	}
	// A canned reason fills the field, to send as it is or edit.
	admin.do(chromedp.SetValue(chromedp.CSS("#reason-preset"), models.RejectionReasons()[2]))
	admin.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("#reason-preset").dispatchEvent(new Event("change", {bubbles: true}))`))
	if got := value(admin, chromedp.Value(chromedp.CSS("#reason"))); got != models.RejectionReasons()[2] {
		t.Errorf("the reason field holds %q after picking a canned reason", got)
	}
}

func TestTheAdminNavWorksOnAPhone(t *testing.T) {
	s := startSite(t)
	admin := newBrowser(t, s)
	admin.signIn("admin@example.com")
	admin.do(chromedp.EmulateViewport(390, 844))
	admin.open("/admin")
	if value(admin, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector(".nav-wide")).display !== "none"`)) {
		t.Error("the wide navigation shows on a phone")
	}
	admin.do(chromedp.Click(chromedp.CSS("#nav-menu-button")))
	if !value(admin, chromedp.Evaluate[bool](`document.querySelector(".nav-menu").open`)) {
		t.Fatal("the menu button does not open the menu")
	}
	admin.checkA11y("/admin with the phone menu open")
	buf := value(admin, chromedp.FullScreenshot(100))
	writeArtifact(t, "admin-nav-phone-open-390.png", buf)
	value(admin, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(`.nav-menu-links a[href="/admin/referrals"]`))))
	if got := admin.path(); got != "/admin/referrals" {
		t.Errorf("the menu's Referrals link led to %s", got)
	}
	if over := value(admin, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); over > 0 {
		t.Errorf("the referrals list is %dpx wider than the phone", over)
	}
}

// Every admin page this release added or changed, checked with axe and photographed at
// 1280 and 390 px (visit fails on a page wider than the screen).
func TestEveryAdminPageIsAccessibleAndFitsAPhone(t *testing.T) {
	s := triageSite(t)
	var referral, referrer, payout, email int64
	s.DB.QueryRow(t, "SELECT r.id, r.referrer_id, p.id FROM referrals r JOIN payouts p ON p.referral_id = r.id ORDER BY p.id LIMIT 1", []any{&referral, &referrer, &payout})
	s.DB.QueryRow(t, "SELECT MIN(id) FROM emails", []any{&email})
	admin := newBrowser(t, s)
	admin.signIn("admin@example.com")
	for path, name := range map[string]string{
		"/admin": "admin-overview-inbox", "/admin/payouts?status=all&sort=risk": "admin-payouts-all-risk",
		fmt.Sprintf("/admin/payouts/%d", payout): "admin-payout", fmt.Sprintf("/admin/referrals/%d", referral): "admin-referral",
		fmt.Sprintf("/admin/referrers/%d", referrer): "admin-referrer", "/admin/referrals?status=qualified": "admin-referrals-qualified",
		"/admin/batches": "admin-batches-list", "/admin/programs": "admin-programs-list", "/admin/programs/new": "admin-program-new",
		"/admin/programs/customer-service": "admin-program-locked", "/admin/audit": "admin-audit-log", "/admin/outbox": "admin-outbox-banner",
		fmt.Sprintf("/admin/outbox/%d", email): "admin-email", "/admin/earnings/import": "admin-import",
	} {
		admin.visit(path, name)
	}
}

// writeArtifact saves a screenshot taken by hand.
func writeArtifact(t *testing.T, name string, png []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(artifacts(t), name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
