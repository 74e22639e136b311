//go:build e2e

package e2e

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"referrals/models"
)

func TestReferrerCopiesTheInviteLink(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t, s)
	b.grantClipboard()
	b.signIn("maria@example.com")
	if got := b.path(); got != "/dashboard" {
		t.Fatalf("after sign-in at %s, want /dashboard", got)
	}
	b.checkA11y("/dashboard")
	b.shoot("dashboard-referrer")

	link := value(b, chromedp.Value(chromedp.CSS("#invite-link")))
	if !strings.HasPrefix(link, s.URL+"/r/") {
		t.Fatalf("invite link %q does not start with %s/r/", link, s.URL)
	}
	b.do(chromedp.Click(chromedp.CSS("#copy-invite-link")))
	b.do(chromedp.Poll[chromedp.Void](`document.querySelector("#invite-link-status").textContent.includes("Copied")`))
	clip := value(b, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if clip != link {
		t.Fatalf("clipboard holds %q, want the invite link %q", clip, link)
	}
}

func TestTheCopyButtonWorksWithTheKeyboard(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t, s)
	b.grantClipboard()
	b.signIn("maria@example.com")
	// Tab from the top of the page until the copy button has focus, then press Enter.
	b.do(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); window.scrollTo(0, 0)`))
	found := false
	for range 30 {
		b.do(chromedp.KeyEvent(kb.Tab))
		if value(b, chromedp.Evaluate[string](`document.activeElement.id`)) == "copy-invite-link" {
			found = true
			break
		}
	}
	if !found {
		t.Fatal("the copy button cannot be reached with Tab")
	}
	b.do(chromedp.KeyEvent(kb.Enter))
	b.do(chromedp.Poll[chromedp.Void](`document.querySelector("#invite-link-status").textContent.includes("Copied")`))
	link := value(b, chromedp.Value(chromedp.CSS("#invite-link")))
	if clip := value(b, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); clip != link {
		t.Fatalf("clipboard holds %q after Enter, want %q", clip, link)
	}
}

func TestIneligibleFreelancersSeeWhyAndNoLink(t *testing.T) {
	s := startSite(t)
	// Each page says which condition is missing and what to do, under a subtitle that
	// says so.
	for email, want := range map[string][]string{
		"ben@example.com":   {"not Top Rated", "once you are Top Rated you will be invited"},
		"chloe@example.com": {"United States only", "Your profile on the marketplace says Canada"},
	} {
		b := newBrowser(t, s)
		b.signIn(email)
		for _, w := range append(want, "You can't refer friends yet") {
			if got := b.text("#main"); !strings.Contains(got, w) {
				t.Errorf("%s's dashboard does not say %q", email, w)
			}
		}
		if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#invite-link").length`)); n != 0 {
			t.Errorf("%s sees an invite link", email)
		}
		b.checkA11y("/dashboard (" + email + ")")
		b.shoot("dashboard-" + strings.Split(email, "@")[0])
	}
}

func TestPublicAndAdminPagesAreAccessible(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t, s)
	b.visit("/login", "login")
	b.visit("/help", "help")
	b.visit("/no-such-page", "not-found")
	b.signIn("admin@example.com")
	b.visit("/admin", "admin-overview")
}

func TestANameWithMarkupRendersAsText(t *testing.T) {
	s := startSite(t)
	const name = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	if _, err := s.DB.Store.CreateUser(t.Context(), models.NewUser{
		Email: "mallory@example.com", Name: name, Password: models.DemoPassword, Country: "US", TopRated: true,
	}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	var dialogs atomic.Int32
	opened := chromedp.Events(b.ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range opened {
			if err != nil {
				return
			}
			dialogs.Add(1)
			chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	b.signIn("mallory@example.com")
	if got := value(b, chromedp.Evaluate[string](`document.querySelector(".account-name").textContent`)); got != name {
		t.Errorf("the name shows as %q, want the literal text %q", got, name)
	}
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#main script, #main img, .topbar img").length`)); n != 0 {
		t.Errorf("the name became %d element(s)", n)
	}
	b.open("/help")
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d script dialog(s) opened: the name ran as code", n)
	}
	b.shoot("markup-name")
}

func TestAFriendSignsUpThroughTheLinkAndAppearsOnTheReferrersDashboard(t *testing.T) {
	s := startSite(t)
	maria := newBrowser(t, s)
	maria.signIn("maria@example.com")
	link := value(maria, chromedp.Value(chromedp.CSS("#invite-link")))

	friend := newBrowser(t, s)
	friend.do(chromedp.Navigate(link), chromedp.WaitReady(chromedp.CSS("form[action='/signup']")))
	friend.checkA11y("the landing page")
	friend.shoot("landing")
	friend.do(
		chromedp.SendKeys(chromedp.CSS("#name"), "Dana Friend"),
		chromedp.SendKeys(chromedp.CSS("#email"), "dana@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "a long enough password"),
	)
	friend.submit(`form[action="/signup"] button[type=submit]`)
	if got := friend.path(); got != "/dashboard" {
		t.Fatalf("after sign-up the friend is at %s, want /dashboard", got)
	}
	if got := friend.text("#main"); !strings.Contains(got, "Freelancer Plus") || strings.Contains(got, "can't refer") {
		t.Errorf("the friend's dashboard does not mention their Freelancer Plus, or warns they can't refer: %q", got)
	}
	if got := friend.text("#plus-until"); !strings.HasPrefix(got, "Free until ") {
		t.Errorf("the friend's Freelancer Plus says %q", got)
	}
	friend.checkA11y("the friend's dashboard")
	friend.shoot("dashboard-friend")

	maria.open("/dashboard")
	names := value(maria, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-referral-id]")].map(r => r.textContent)`))
	found := false
	for _, n := range names {
		if strings.Contains(n, "Dana Friend") {
			found = strings.Contains(n, "$0.00 of $500.00")
		}
	}
	if !found {
		t.Fatalf("Dana is not on Maria's dashboard at $0.00 of $500.00: %q", names)
	}

	// The same email cannot sign up twice.
	again := newBrowser(t, s)
	again.do(chromedp.Navigate(link), chromedp.WaitReady(chromedp.CSS("form[action='/signup']")))
	again.do(
		chromedp.SendKeys(chromedp.CSS("#name"), "Dana Again"),
		chromedp.SendKeys(chromedp.CSS("#email"), "DANA@example.com"),
		chromedp.SendKeys(chromedp.CSS("#password"), "another long password"),
	)
	again.submit(`form[action="/signup"] button[type=submit]`)
	if got := again.text("#email-error"); !strings.Contains(got, "already") {
		t.Errorf("a second sign-up with the same email says %q beside the email", got)
	}
	again.checkA11y("the sign-up form with an error")
	again.shoot("signup-error")
}

func TestAnUnknownInviteCodeShowsTheNotValidPage(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t, s)
	b.open("/r/ZZZZZZZZZZ")
	if got := b.text("h1"); !strings.Contains(got, "not valid") {
		t.Errorf("unknown code page says %q", got)
	}
	b.checkA11y("/r/unknown")
	b.shoot("landing-invalid")
}

// acceptDialogs accepts every confirm dialog the page opens, as a person clicking OK.
func (b *browser) acceptDialogs() {
	opened := chromedp.Events(b.ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range opened {
			if err != nil {
				return
			}
			chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
}

func TestAnAdminApprovesAndPaysAndTheReferrerSeesTheCredit(t *testing.T) {
	s := startSite(t)
	admin := newBrowser(t, s)
	admin.acceptDialogs()
	admin.signIn("admin@example.com")
	admin.visit("/admin/payouts", "admin-payouts")
	admin.do(chromedp.Click(chromedp.CSS(".bulk-reject summary")))
	admin.checkA11y("/admin/payouts with the rejection form open")
	admin.shoot("admin-payouts-reject-open")

	// Priya qualified in the demo and waits for review: approve her row.
	approve := chromedp.JSPath(`[...document.querySelectorAll("tbody tr")].find(r => r.textContent.includes("Priya Patel")).querySelector("button[formaction$='/approve']")`)
	value(admin, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(approve)))
	if got := admin.text(".flash"); !strings.Contains(got, "pproved") {
		t.Fatalf("after approving, the page says %q", got)
	}
	admin.visit("/admin/batches", "admin-batches")
	month := value(admin, chromedp.Evaluate[string](`document.querySelector("tbody a[href^='/admin/batches/']").getAttribute("href")`))
	admin.visit(month, "admin-batch")
	admin.submit("#pay-batch")
	if got := admin.text(".flash"); !strings.Contains(got, "Paid") && !strings.Contains(got, "paid") {
		t.Fatalf("after paying, the page says %q", got)
	}
	admin.shoot("admin-batch-paid")
	for _, path := range []string{"/admin", "/admin/referrals", "/admin/programs", "/admin/programs/customer-service", "/admin/audit", "/admin/outbox", "/admin/earnings/import"} {
		admin.visit(path, "admin"+strings.ReplaceAll(strings.TrimPrefix(path, "/admin"), "/", "-"))
	}

	maria := newBrowser(t, s)
	maria.signIn("maria@example.com")
	maria.visit("/transactions", "transactions")
	rows := value(maria, chromedp.Evaluate[[]string](`[...document.querySelectorAll("tbody tr")].map(r => r.innerText.replace(/\s+/g, " "))`))
	found := false
	for _, r := range rows {
		if strings.Contains(r, "Referral bonus - Priya Patel") && strings.Contains(r, "$100.00") && strings.Contains(r, "$0.00") {
			found = true
		}
	}
	if !found {
		t.Fatalf("Maria's transactions do not show Priya's $100.00 credit with fee $0.00: %q", rows)
	}
	maria.visit("/dashboard", "dashboard-after-payment")
}

func TestTheApproveFormWorksWithTheKeyboard(t *testing.T) {
	s := startSite(t)
	admin := newBrowser(t, s)
	admin.signIn("admin@example.com")
	admin.open("/admin/payouts")
	admin.do(chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); window.scrollTo(0, 0)`))
	found := false
	for range 40 {
		admin.do(chromedp.KeyEvent(kb.Tab))
		if value(admin, chromedp.Evaluate[bool](`!!document.activeElement.getAttribute("formaction")?.endsWith("/approve")`)) {
			found = true
			break
		}
	}
	if !found {
		t.Fatal("no Approve button can be reached with Tab")
	}
	value(admin, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.KeyEvent(kb.Enter)))
	if got := admin.text(".flash"); !strings.Contains(got, "pproved") {
		t.Fatalf("after Enter on Approve the page says %q", got)
	}
	if n := s.DB.Count(t, "payouts", "status = 'pending_review'"); n != 0 {
		t.Fatalf("%d payouts still pending after approving with the keyboard", n)
	}
}

// A freelancer the marketplace created has no password: they ask the sign-in page for a
// link, open it from the email, press Sign in and reach their dashboard; the link then
// says it was used.
func TestAFreelancerWithoutAPasswordSignsInWithAnEmailedLink(t *testing.T) {
	s := startSite(t)
	name, country := "Lee Chen", "US"
	if _, err := s.DB.Store.UpsertFreelancers(t.Context(), []models.FreelancerProfile{{Email: "lee@example.com", Name: &name, Country: &country}}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s)
	b.open("/login")
	b.do(chromedp.SendKeys(chromedp.CSS("#link-email"), "lee at example"))
	b.submit("#signin-link-form button")
	if got := b.text("#link-email-error"); !strings.Contains(got, "name@example.com") {
		t.Fatalf("not an email: the field says %q", got)
	}
	b.checkA11y("/login/link (not an email)")
	b.shoot("signin-link-not-an-email")
	b.do(chromedp.SetValue(chromedp.CSS("#link-email"), "lee@example.com"))
	b.submit("#signin-link-form button")
	if got := b.text(".flash"); !strings.Contains(got, "If an account exists for that address") {
		t.Fatalf("after asking for a link the page says %q", got)
	}
	b.shoot("signin-link-sent")

	body := s.writtenEmails(t, "kind = 'sign_in_link' AND recipient = 'lee@example.com'")[0].Text
	_, rest, ok := strings.Cut(body, s.URL)
	if !ok {
		t.Fatalf("no link in the email:\n%s", body)
	}
	link := strings.Fields(rest)[0]
	b.visit(link, "signin-link")
	b.submit("#signin-link-submit")
	if got := b.path(); got != "/dashboard" {
		t.Fatalf("after Sign in the browser is at %s", got)
	}
	if got := b.text(".flash"); !strings.Contains(got, "signed in") {
		t.Errorf("the dashboard says %q", got)
	}
	b.visit(link, "signin-link-used")
	if got := b.text("h1"); got != "This sign-in link has expired or was already used" {
		t.Errorf("the used link says %q", got)
	}
}
