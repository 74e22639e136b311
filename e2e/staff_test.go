//go:build e2e

package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"referrals/models"
)

// An owner adds a reviewer, who signs in with the emailed link, sets up two-factor
// sign-in (the test is the authenticator app, computing codes from the page's secret),
// approves a payout and is offered no pay button; finance pays the batch. Every new page
// is checked with axe and photographed at both widths.
func TestStaffRolesShareTheWork(t *testing.T) {
	s := startSite(t)
	owner := newBrowser(t, s)
	owner.signIn("admin@example.com")
	owner.visit("/settings", "settings")
	owner.visit("/admin/staff", "admin-staff")
	owner.do(
		chromedp.SendKeys(chromedp.CSS("#name"), "Rita Reviewer"),
		chromedp.SendKeys(chromedp.CSS("#email"), "rita@example.com"),
		chromedp.SetValue(chromedp.CSS("#role"), "reviewer"),
	)
	owner.submit("#add-staff button[type=submit]")
	if got := owner.text(".flash"); !strings.Contains(got, "rita@example.com") {
		t.Fatalf("after adding, the page says %q", got)
	}
	owner.shoot("admin-staff-added")

	body := s.writtenEmails(t, "kind = 'staff_invite' AND recipient = 'rita@example.com'")[0].Text
	_, rest, ok := strings.Cut(body, s.URL)
	if !ok {
		t.Fatalf("no link in the email:\n%s", body)
	}
	rita := newBrowser(t, s)
	rita.open(strings.Fields(rest)[0])
	rita.submit("#signin-link-submit")
	if got := rita.path(); got != "/settings/mfa" {
		t.Fatalf("a new reviewer lands on %s, want /settings/mfa", got)
	}
	rita.checkA11y("/settings/mfa")
	rita.shoot("settings-mfa-enrol")
	uri, err := url.Parse(rita.text("#totp-uri"))
	if err != nil || uri.Scheme != "otpauth" {
		t.Fatalf("#totp-uri: %q", rita.text("#totp-uri"))
	}
	secret := uri.Query().Get("secret")
	code, err := models.TOTPCode(secret, s.DB.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	rita.do(chromedp.SendKeys(chromedp.CSS("#code"), code))
	rita.submit("#enrol")
	codes := value(rita, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#recovery-codes li")].map(li => li.textContent.trim())`))
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	rita.checkA11y("recovery codes")
	rita.shoot("settings-mfa-codes")
	rita.submit("#codes-saved")

	// Signing in again asks for the code.
	rita.submit(`form[action="/logout"] button`)
	// (The reviewer would set a password in Settings; the operator does it here.)
	if err := s.DB.Store.SetPassword(t.Context(), models.CLIActor(), "rita@example.com", models.DemoPassword); err != nil {
		t.Fatal(err)
	}
	rita.open("/login")
	rita.do(
		chromedp.SendKeys(chromedp.CSS("#email"), "rita@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), models.DemoPassword),
	)
	rita.submit(`form[action="/login"] button[type=submit]`)
	rita.checkA11y("the code step of a staff sign-in")
	rita.shoot("login-mfa")
	rita.enterCode(secret)
	if got := rita.path(); got != "/admin" {
		t.Fatalf("after the code the reviewer is at %s", got)
	}

	// The reviewer approves Priya's credit and sees no pay button.
	rita.open("/admin/payouts")
	id := value(rita, chromedp.Evaluate[string](`[...document.querySelectorAll("tbody tr")].find(r => r.textContent.includes("Priya Patel")).dataset.payoutId`))
	rita.visit("/admin/payouts/"+id, "admin-payout-reviewer")
	rita.submit("#approve")
	if got := rita.text(".flash"); !strings.Contains(got, "pproved") {
		t.Fatalf("after approving, the page says %q", got)
	}
	month := value(rita, chromedp.Evaluate[string](`document.querySelector(".flash").textContent.match(/the (\w+ \d{4}) batch/)?.[1] ?? ""`))
	rita.open("/admin/batches")
	batch := value(rita, chromedp.Evaluate[string](`document.querySelector("tbody a[href^='/admin/batches/']").getAttribute("href")`))
	rita.visit(batch, "admin-batch-reviewer")
	if n := value(rita, chromedp.Evaluate[int](`document.querySelectorAll("#pay-batch, form[action$='/pay']").length`)); n != 0 {
		t.Fatalf("the reviewer is offered %d pay buttons (%s)", n, month)
	}
	if n := value(rita, chromedp.Evaluate[int](`document.querySelectorAll("a[href='/admin/earnings/import'], a[href='/admin/staff']").length`)); n != 0 {
		t.Error("the reviewer's navigation links to import or staff")
	}

	// Finance pays.
	finance := newBrowser(t, s)
	finance.acceptDialogs()
	finance.signIn("finance@example.com")
	finance.open(batch)
	if n := value(finance, chromedp.Evaluate[int](`document.querySelectorAll("#approve, #approve-selected").length`)); n != 0 {
		t.Error("finance is offered decision buttons")
	}
	finance.submit("#pay-batch")
	if got := finance.text(".flash"); !strings.Contains(strings.ToLower(got), "paid") {
		t.Fatalf("after paying, the page says %q", got)
	}
	if n := s.DB.Count(t, "payouts", "id = ? AND status = 'paid'", id); n != 1 {
		t.Errorf("Priya's payout is not paid")
	}
}
