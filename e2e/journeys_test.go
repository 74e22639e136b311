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
	for email, want := range map[string]string{
		"ben@example.com":   "not Top Rated",
		"chloe@example.com": "United States only",
	} {
		b := newBrowser(t, s)
		b.signIn(email)
		if got := b.text("#main"); !strings.Contains(got, want) {
			t.Errorf("%s's dashboard does not say %q", email, want)
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
	if got := b.text(".account-name"); got != name {
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
