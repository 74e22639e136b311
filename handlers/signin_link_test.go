package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"referrals/models"
	"referrals/models/modelstest"
)

// askForSignInLink submits the sign-in page's link form and returns the answer.
func (b *browser) askForSignInLink(email string) response {
	b.t.Helper()
	b.get("/login")
	return b.post("/login/link", url.Values{"email": {email}}, true)
}

// emailedSignInLink is the path of the sign-in link in the latest email to to, read out
// of its plain-text body as the recipient would.
func emailedSignInLink(t *testing.T, db *modelstest.DB, to string) string {
	t.Helper()
	emails := db.WrittenEmails(t, "kind IN ('sign_in_link', 'staff_invite') AND recipient = ?", to)
	if len(emails) == 0 {
		t.Fatalf("no sign-in link email to %s", to)
	}
	body := emails[len(emails)-1].Content.Text
	_, rest, ok := strings.Cut(body, modelstest.BaseURL+"/login/link/")
	if !ok {
		t.Fatalf("no link in the email:\n%s", body)
	}
	return "/login/link/" + strings.Fields(rest)[0]
}

// anasSignInLink is an app where Ana (password "correct horse") asked for a sign-in
// link in browser b, and the link's path.
func anasSignInLink(t *testing.T, db *modelstest.DB) (*app, *browser, string) {
	t.Helper()
	a := newApp(t, db)
	a.createUser(t, models.NewUser{Email: "ana@example.com"})
	b := a.browser(t)
	b.askForSignInLink("ana@example.com")
	return a, b, emailedSignInLink(t, db, "ana@example.com")
}

// useSignInLink opens link, checks it shows the Sign in button, and presses it.
func (b *browser) useSignInLink(link string) response {
	b.t.Helper()
	page := b.get(link)
	if page.status != http.StatusOK {
		b.t.Fatalf("GET %s: %d, want 200 with a Sign in button", link, page.status)
	}
	doc := parse(b.t, page.body)
	button := byID(doc, "signin-link-submit")
	form := find(doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == link })
	if button == nil || form == nil || attr(form, "method") != "post" {
		b.t.Fatal("the link's page has no Sign in button posting the link")
	}
	csrf := find(form, func(n *html.Node) bool { return attr(n, "name") == "_csrf" })
	return b.post(link, url.Values{"_csrf": {attr(csrf, "value")}}, false)
}

// assertLinkDead checks that link shows the expired page with status, on GET and POST.
func (b *browser) assertLinkDead(link string, status int) {
	b.t.Helper()
	for _, res := range []response{b.get(link), b.post(link, nil, true)} {
		if res.status != status {
			b.t.Errorf("dead link: %d, want %d", res.status, status)
			continue
		}
		doc := parse(b.t, res.body)
		if h1 := find(doc, func(n *html.Node) bool { return n.Data == "h1" }); h1 == nil || text(h1) != "This sign-in link has expired or was already used" {
			b.t.Error("the dead link's page does not say it expired or was used")
		}
		if byID(doc, "signin-link-form") == nil {
			b.t.Error("the dead link's page offers no way to ask for a new one")
		}
	}
	if res := b.get("/dashboard"); res.status != http.StatusSeeOther {
		b.t.Errorf("a dead link signed in: dashboard %d", res.status)
	}
}

func TestAskingForASignInLinkAnswersAlikeWhetherOrNotTheAccountExists(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		var answers []string
		for _, email := range []string{"ana@example.com", "nobody@example.com"} {
			b := a.browser(t)
			res := b.askForSignInLink(email)
			if res.status != http.StatusSeeOther || res.location != "/login" {
				t.Fatalf("%s: %d to %q, want 303 to /login", email, res.status, res.location)
			}
			answers = append(answers, b.flashAfter(res))
		}
		want := "If an account exists for that address, we sent it a sign-in link. It works once, for 30 minutes."
		if answers[0] != want || answers[1] != want {
			t.Errorf("answers %q, want both %q", answers, want)
		}
		if n := db.Count(t, "emails", "kind = 'sign_in_link'"); n != 1 {
			t.Errorf("%d sign-in link emails, want 1 (to the account only)", n)
		}
	})
}

func TestASignInLinkRequestThatIsNotAnEmailSaysSoBesideTheField(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		res := a.browser(t).askForSignInLink("ana at example")
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("not an email: %d, want 422", res.status)
		}
		doc := parse(t, res.body)
		field := byID(doc, "link-email")
		if field == nil || attr(field, "value") != "ana at example" || attr(field, "aria-describedby") != "link-email-error" {
			t.Error("the typed address is not kept in the link form, or not tied to its message")
		}
		if msg := byID(doc, "link-email-error"); msg == nil || !strings.Contains(text(msg), "like name@example.com") {
			t.Error("no message beside the field")
		}
		if byID(doc, "email") == nil || len(findAll(doc, func(n *html.Node) bool { return attr(n, "id") == "email" })) != 1 {
			t.Error("the password form's email field is missing or its id is not unique")
		}
	})
}

func TestTheEmailedLinkSignsInOnceWithAButtonAndEndsOtherSessions(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com", Name: "Ana Lima"})
		elsewhere := a.browser(t)
		elsewhere.signIn("ana@example.com", "correct horse", "/dashboard")

		b := a.browser(t)
		b.askForSignInLink("ana@example.com")
		link := emailedSignInLink(t, db, "ana@example.com")

		// Opening the link (as a mail scanner would) signs nobody in and uses nothing up.
		scanner := a.browser(t)
		if res := scanner.get(link); res.status != http.StatusOK || !strings.Contains(text(parse(t, res.body)), "Ana Lima") {
			t.Fatalf("GET %s: %d, want the Sign in page for Ana", link, res.status)
		}
		if res := scanner.get("/dashboard"); res.status != http.StatusSeeOther {
			t.Fatalf("opening the link signed in: dashboard %d", res.status)
		}

		res := b.useSignInLink(link)
		if res.status != http.StatusSeeOther || res.location != "/dashboard" {
			t.Fatalf("Sign in: %d to %q, want 303 to /dashboard", res.status, res.location)
		}
		if flash := b.flashAfter(res); flash != "You're signed in." {
			t.Errorf("flash %q", flash)
		}
		if res := b.get("/dashboard"); res.status != http.StatusOK {
			t.Fatalf("dashboard after the link: %d", res.status)
		}
		if res := elsewhere.get("/dashboard"); res.status != http.StatusSeeOther {
			t.Errorf("a session from before the link survived it: dashboard %d", res.status)
		}

		again := a.browser(t)
		again.assertLinkDead(link, http.StatusGone)
		if res := b.get("/dashboard"); res.status != http.StatusOK {
			t.Errorf("the link's second use ended the session it started: %d", res.status)
		}
	})
}

func TestASignInLinkExpiresAfterThirtyMinutes(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, b, link := anasSignInLink(t, db)
		db.Clock.Advance(31 * time.Minute)
		b.assertLinkDead(link, http.StatusGone)
	})
}

func TestATamperedSignInLinkIsRefused(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, b, link := anasSignInLink(t, db)
		token := strings.TrimPrefix(link, "/login/link/")
		flipped := "B"
		if token[0] == 'B' {
			flipped = "C"
		}
		for _, bad := range []string{flipped + token[1:], token[:len(token)-4], "nonsense", token + "AAAA"} {
			b.assertLinkDead("/login/link/"+bad, http.StatusBadRequest)
		}
		// The real link still works.
		if res := b.useSignInLink(link); res.status != http.StatusSeeOther || res.location != "/dashboard" {
			t.Errorf("the untampered link after the tampered ones: %d to %q", res.status, res.location)
		}
	})
}

func TestAFreelancerCreatedByTheMarketplaceSignsInWithALink(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		res := a.signed(t, "/api/v1/freelancers", []byte(`{"freelancers":[{"email":"lee@example.com","name":"Lee Chen","country":"US","top_rated":true}]}`))
		if res.status != http.StatusOK || !strings.Contains(res.body, `"created"`) {
			t.Fatalf("create Lee: %d %s", res.status, res.body)
		}
		b := a.browser(t)
		b.askForSignInLink("lee@example.com")
		res = b.useSignInLink(emailedSignInLink(t, db, "lee@example.com"))
		if res.status != http.StatusSeeOther || res.location != "/dashboard" {
			t.Fatalf("Sign in: %d to %q", res.status, res.location)
		}
		if flash := b.flashAfter(res); !strings.Contains(flash, "ask for a new sign-in link") {
			t.Errorf("a freelancer without a password is not told how to come back: %q", flash)
		}
		if res := b.get("/dashboard"); res.status != http.StatusOK {
			t.Errorf("Lee's dashboard: %d", res.status)
		}
	})
}

func TestSignInLinkFormsWithoutTheirCSRFTokenAreRefused(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		b := a.browser(t)
		b.get("/login")
		if res := b.post("/login/link", url.Values{"email": {"ana@example.com"}}, false); res.status != http.StatusForbidden && res.status != http.StatusBadRequest {
			t.Errorf("asking for a link without _csrf: %d, want refused", res.status)
		}
		if n := db.Count(t, "emails", ""); n != 0 {
			t.Fatalf("a refused request sent %d emails", n)
		}
		b.askForSignInLink("ana@example.com")
		link := emailedSignInLink(t, db, "ana@example.com")
		b.get(link)
		if res := b.post(link, nil, false); res.status != http.StatusForbidden && res.status != http.StatusBadRequest {
			t.Errorf("using a link without _csrf: %d, want refused", res.status)
		}
		if res := b.get("/dashboard"); res.status != http.StatusSeeOther {
			t.Fatalf("the refused post signed in: dashboard %d", res.status)
		}
		if res := b.useSignInLink(link); res.status != http.StatusSeeOther {
			t.Errorf("the link after a refused post: %d, want it unused", res.status)
		}
	})
}

func TestOneAddressAskingForManySignInLinksIsPaused(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		b := a.browser(t)
		for range 10 {
			b.askForSignInLink("nobody@example.com")
		}
		res := b.askForSignInLink("nobody@example.com")
		if res.status != http.StatusTooManyRequests {
			t.Fatalf("11th request: %d, want 429", res.status)
		}
		if msg := byID(parse(t, res.body), "link-email-error"); msg == nil || !strings.Contains(text(msg), "Wait 15 minutes") {
			t.Error("the pause is not explained beside the field")
		}
	})
}

func TestStaffReadingTheOutboxCannotUseASignInLink(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a, _, link := anasSignInLink(t, db)
		var id int64
		if err := db.Store.DB().QueryRow("SELECT id FROM emails WHERE kind = 'sign_in_link'").Scan(&id); err != nil {
			t.Fatal(err)
		}
		staff := signedInAdmin(t, a)
		res := staff.get("/admin/outbox/" + strconv.FormatInt(id, 10))
		body := byID(parse(t, res.body), "email-body")
		if res.status != http.StatusOK || body == nil {
			t.Fatalf("outbox email: %d", res.status)
		}
		if strings.Contains(text(body), strings.TrimPrefix(link, "/login/link/")) || !strings.Contains(text(body), "/login/link/[hidden]") {
			t.Errorf("staff can read the link:\n%s", text(body))
		}
	})
}
