package handlers_test

import (
	"fmt"
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

// invitedReferrer creates the standard program ($500 in Customer Service by April 15,
// 2019) and Maria, a Top Rated U.S. freelancer it invited, and returns her invite code.
func (a *app) invitedReferrer(t *testing.T) (models.Program, models.User, string) {
	t.Helper()
	p, err := a.Store.CreateProgram(t.Context(), models.CLIActor(), models.ProgramInput{
		Slug: "customer-service", Name: "Customer Service referrals", Deadline: "2019-04-15",
	})
	if err != nil {
		t.Fatal(err)
	}
	maria := a.createUser(t, models.NewUser{Email: "maria@example.com", Name: "Maria Santos", TopRated: true})
	if _, err := a.Store.InviteProgram(t.Context(), models.CLIActor(), p.Slug); err != nil {
		t.Fatal(err)
	}
	return p, maria, a.codeOf(t, maria)
}

// codeOf is the invite code of the referrer's (only) invitation.
func (a *app) codeOf(t *testing.T, referrer models.User) string {
	t.Helper()
	d, err := a.Store.Dashboard(t.Context(), referrer.ID, models.DashboardQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range d.Programs {
		if p.Invitation != nil {
			return p.Invitation.Code
		}
	}
	t.Fatalf("%s holds no invitation", referrer.Email)
	return ""
}

func signupForm(name, email string) url.Values {
	return url.Values{"name": {name}, "email": {email}, "password": {"correct horse"}, "country": {"US"}}
}

// cookie finds a cookie the response sets.
func cookie(res response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// hiddenCode is the invite code a sign-up form carries, or "".
func hiddenCode(doc *html.Node) string {
	if n := find(doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "code" }); n != nil {
		return attr(n, "value")
	}
	return ""
}

func TestAFriendSignsUpThroughTheLinkAndAppearsOnTheReferrersDashboardAtZero(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		_, _, code := a.invitedReferrer(t)

		friend := a.browser(t)
		res := friend.get("/r/" + code)
		if res.status != http.StatusOK {
			t.Fatalf("GET /r/CODE: %d", res.status)
		}
		doc := parse(t, res.body)
		if h1 := text(firstTag(doc, "h1")); h1 != "Maria invited you to the marketplace" {
			t.Errorf("heading %q", h1)
		}
		if !strings.Contains(text(doc), "1 month of Freelancer Plus free") {
			t.Error("the landing page does not state the offer")
		}
		if hiddenCode(doc) != code {
			t.Errorf("the form carries code %q, want %q", hiddenCode(doc), code)
		}
		for _, field := range []string{"name", "email", "password"} {
			if byID(doc, field) == nil {
				t.Errorf("no %s field", field)
			}
		}
		selected := find(byID(doc, "country"), func(n *html.Node) bool { return n.Data == "option" && hasAttr(n, "selected") })
		if selected == nil || attr(selected, "value") != "US" {
			t.Error("the country list does not default to the United States")
		}
		if db.Count(t, "invitations", "code = ? AND clicks = 1", code) != 1 {
			t.Error("the click was not counted")
		}
		ck := cookie(res, "referral_code")
		if ck == nil || ck.Value != code || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.MaxAge != 30*24*3600 || ck.Path != "/" || ck.Secure {
			t.Errorf("attribution cookie %+v", ck)
		}

		form := signupForm("Sam Rivera", "sam@example.com")
		form.Set("code", code)
		res = friend.post("/signup", form, true)
		if res.status != http.StatusSeeOther || res.location != "/dashboard" {
			t.Fatalf("POST /signup: %d to %q", res.status, res.location)
		}
		if c := cookie(res, "referral_code"); c == nil || c.MaxAge >= 0 {
			t.Error("the used attribution cookie was not cleared")
		}
		res = friend.get("/dashboard")
		if res.status != http.StatusOK {
			t.Fatalf("the new friend is not signed in: %d", res.status)
		}
		doc = parse(t, res.body)
		if flash := find(doc, hasClass("flash")); flash == nil || !strings.Contains(text(flash), "Freelancer Plus membership runs until Apr 1, 2019") {
			t.Errorf("welcome message missing or wrong")
		}
		progress := byID(doc, "your-progress")
		if progress == nil || !strings.Contains(text(progress.Parent.Parent), "$0.00 of $500.00") {
			t.Error("the friend does not see their own progress")
		}

		maria := a.browser(t)
		maria.signIn("maria@example.com", "correct horse", "/dashboard")
		doc = parse(t, maria.get("/dashboard").body)
		rows := findAll(doc, func(n *html.Node) bool { return hasAttr(n, "data-referral-id") })
		if len(rows) != 1 {
			t.Fatalf("%d friend rows, want 1", len(rows))
		}
		row := rows[0]
		var refID int64
		db.Store.DB().QueryRow("SELECT id FROM referrals").Scan(&refID)
		if attr(row, "data-referral-id") != itoa(refID) {
			t.Errorf("data-referral-id %q, want %d", attr(row, "data-referral-id"), refID)
		}
		bar := firstTag(row, "progress")
		if bar == nil || attr(bar, "value") != "0.00" || attr(bar, "max") != "500.00" {
			t.Fatalf("progress %v", bar)
		}
		for _, want := range []string{"Sam Rivera", "Mar 1, 2019", "$0.00 of $500.00", "$500.00 to go by Apr 15, 2019"} {
			if !strings.Contains(text(row), want) {
				t.Errorf("row %q does not say %q", text(row), want)
			}
		}
	})
}

func TestTheSameEmailCannotSignUpTwice(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		_, _, code := a.invitedReferrer(t)
		first := a.browser(t)
		first.get("/r/" + code)
		if res := first.post("/signup", signupForm("Sam Rivera", "sam@example.com"), true); res.status != http.StatusSeeOther {
			t.Fatalf("first sign-up: %d", res.status)
		}
		users, referrals, emails := db.Count(t, "users", ""), db.Count(t, "referrals", ""), db.Count(t, "emails", "")

		for _, email := range []string{" SAM@Example.com ", "maria@example.com"} {
			again := a.browser(t)
			again.get("/r/" + code)
			form := signupForm("Sam Again", email)
			form.Set("code", code)
			res := again.post("/signup", form, true)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("sign-up with %q: %d, want 422", email, res.status)
			}
			doc := parse(t, res.body)
			if msg := byID(doc, "email-error"); msg == nil || !strings.Contains(text(msg), "already has an account") {
				t.Errorf("%q: no message beside the email field", email)
			}
			// The way in for the account's owner: sign in, or a sign-in link to that email.
			offer := byID(doc, "have-account")
			if offer == nil || find(offer, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/login" }) == nil {
				t.Errorf("%q: no sign-in link beside the refusal", email)
			} else if link := byID(offer, "link-email"); link == nil || attr(link, "value") != email {
				t.Errorf("%q: the sign-in link form is not filled with the email", email)
			}
			if attr(byID(doc, "email"), "value") != email || attr(byID(doc, "name"), "value") != "Sam Again" {
				t.Errorf("%q: the typed input was not kept", email)
			}
			if attr(byID(doc, "password"), "value") != "" {
				t.Error("the password was sent back to the page")
			}
			if hiddenCode(doc) != code {
				t.Error("the re-rendered form lost its invite code")
			}
		}
		if db.Count(t, "users", "") != users || db.Count(t, "referrals", "") != referrals || db.Count(t, "emails", "") != emails {
			t.Fatal("a refused sign-up created something")
		}
	})
}

func TestInvalidSignUpsKeepTheInputAndCreateNothing(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		_, _, code := a.invitedReferrer(t)
		b := a.browser(t)
		b.get("/r/" + code)
		users := db.Count(t, "users", "")
		res := b.post("/signup", url.Values{"name": {""}, "email": {"not-an-email"}, "password": {"short"}, "country": {"ZZ"}, "code": {code}}, true)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid sign-up: %d, want 422", res.status)
		}
		doc := parse(t, res.body)
		for _, field := range []string{"name", "email", "password", "country"} {
			msg := byID(doc, field+"-error")
			if msg == nil || text(msg) == "" {
				t.Errorf("no message beside %s", field)
			}
			if attr(byID(doc, field), "aria-invalid") != "true" {
				t.Errorf("%s is not marked invalid", field)
			}
		}
		if attr(byID(doc, "email"), "value") != "not-an-email" || attr(byID(doc, "password"), "value") != "" {
			t.Error("input not kept, or the password sent back")
		}
		if db.Count(t, "users", "") != users {
			t.Fatal("an invalid sign-up created an account")
		}
	})
}

func TestAnUnknownCodeShowsTheNotValidPageWithAPlainSignUp(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.invitedReferrer(t)
		b := a.browser(t)
		for _, code := range []string{"ZZZZZZZZZZ", "nope", "%3Cscript%3E"} {
			res := b.get("/r/" + code)
			if res.status != http.StatusNotFound {
				t.Fatalf("GET /r/%s: %d, want 404", code, res.status)
			}
			doc := parse(t, res.body)
			if h1 := text(firstTag(doc, "h1")); h1 != "This invite link is not valid" {
				t.Errorf("heading %q", h1)
			}
			if form := find(doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == "/signup" }); form == nil || hiddenCode(doc) != "" {
				t.Error("no plain sign-up form")
			}
			if cookie(res, "referral_code") != nil {
				t.Error("an unknown code was remembered")
			}
		}
		// The plain sign-up makes an account and no referral.
		if res := b.post("/signup", signupForm("Walk In", "walkin@example.com"), true); res.status != http.StatusSeeOther {
			t.Fatalf("plain sign-up: %d", res.status)
		}
		if db.Count(t, "users", "email = 'walkin@example.com' AND plus_until IS NULL") != 1 || db.Count(t, "referrals", "") != 0 {
			t.Error("a plain sign-up made a referral or gave the perk")
		}
	})
}

func TestTheAttributionCookieCreditsAFriendWhoSignsUpLater(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		_, maria, code := a.invitedReferrer(t)
		friend := a.browser(t)
		friend.get("/r/" + code)

		// Days later, the friend comes back to the sign-up page without the link.
		db.Clock.Advance(5 * 24 * time.Hour)
		res := friend.get("/signup")
		doc := parse(t, res.body)
		if res.status != http.StatusOK || hiddenCode(doc) != code || !strings.Contains(text(doc), "Maria invited you") {
			t.Fatalf("GET /signup with the cookie: %d, code %q", res.status, hiddenCode(doc))
		}
		if db.Count(t, "invitations", "clicks = 1") != 1 {
			t.Error("coming back counted another click")
		}
		// The form is posted without the code field: the cookie alone attributes it.
		if res := friend.post("/signup", signupForm("Sam Rivera", "sam@example.com"), true); res.status != http.StatusSeeOther {
			t.Fatalf("POST /signup: %d", res.status)
		}
		if db.Count(t, "referrals", "referrer_id = ?", maria.ID) != 1 {
			t.Fatal("the friend was not attributed to Maria")
		}
	})
}

func TestAfterTheDeadlineTheLinkSaysSoAndTheAccountIsMadeWithoutAReferral(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		p, _, code := a.invitedReferrer(t)
		db.Clock.Set(p.Deadline.Add(time.Hour))
		b := a.browser(t)
		res := b.get("/r/" + code)
		doc := parse(t, res.body)
		if res.status != http.StatusOK || !strings.Contains(text(doc), "ended on Apr 15, 2019") || !strings.Contains(text(doc), "will not include free Freelancer Plus") {
			t.Fatalf("landing after the deadline: %d, %q", res.status, text(doc))
		}
		if cookie(res, "referral_code") != nil {
			t.Error("an expired invite was remembered")
		}
		form := signupForm("Late Comer", "late@example.com")
		form.Set("code", code)
		if res := b.post("/signup", form, true); res.status != http.StatusSeeOther || res.location != "/dashboard" {
			t.Fatalf("late sign-up: %d to %q", res.status, res.location)
		}
		if db.Count(t, "users", "email = 'late@example.com'") != 1 || db.Count(t, "referrals", "") != 0 {
			t.Fatal("want the account and no referral")
		}
		flash := find(parse(t, b.get("/dashboard").body), hasClass("flash"))
		if flash == nil || !strings.Contains(text(flash), "ended on Apr 15, 2019, so this sign-up is not a referral") {
			t.Errorf("the dashboard does not say the sign-up made no referral")
		}
	})
}

func TestSignedInVisitorsOfAnInviteLinkAreNotReferred(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		_, _, code := a.invitedReferrer(t)
		a.createUser(t, models.NewUser{Email: "ana@example.com", Name: "Ana Lima"})
		for email, want := range map[string]string{"maria@example.com": "This is your invite link", "ana@example.com": "You already have an account"} {
			b := a.browser(t)
			b.signIn(email, "correct horse", "/dashboard")
			res := b.get("/r/" + code)
			doc := parse(t, res.body)
			if res.status != http.StatusOK || text(firstTag(doc, "h1")) != want {
				t.Errorf("%s: %d, page %q", email, res.status, text(doc))
			}
			if byID(doc, "password") != nil || cookie(res, "referral_code") != nil {
				t.Errorf("%s was offered a sign-up or attributed", email)
			}
			if res := b.post("/signup", signupForm("Ana Again", "ana2@example.com"), true); res.status != http.StatusSeeOther || res.location != "/dashboard" {
				t.Errorf("%s POST /signup: %d to %q", email, res.status, res.location)
			}
		}
		if db.Count(t, "invitations", "clicks = 0") != 1 {
			t.Error("signed-in visits were counted as clicks")
		}
		if db.Count(t, "users", "email = 'ana2@example.com'") != 0 {
			t.Error("a signed-in user created a second account")
		}
	})
}

// Each "this email already has an account" is counted against the address, before any
// password is hashed: after ten in 15 minutes the address may not try again until the
// window has passed (a script cannot probe for accounts, nor burn argon2 time, at speed).
func TestSignUpsForTakenEmailsAreThrottledPerAddress(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.invitedReferrer(t)
		for i := range 10 {
			a.createUser(t, models.NewUser{Email: fmt.Sprintf("taken%d@example.com", i)})
		}
		b := a.browser(t)
		for i := range 10 {
			if res := b.post("/signup", signupForm("Probe", fmt.Sprintf("taken%d@example.com", i)), true); res.status != http.StatusUnprocessableEntity {
				t.Fatalf("taken email %d: %d, want 422", i, res.status)
			}
		}
		for _, email := range []string{"taken0@example.com", "new@example.com"} {
			res := b.post("/signup", signupForm("Probe", email), true)
			if res.status != http.StatusTooManyRequests {
				t.Fatalf("%s after ten taken emails: %d, want 429", email, res.status)
			}
			alert := find(parse(t, res.body), func(n *html.Node) bool { return attr(n, "role") == "alert" })
			if alert == nil || !strings.Contains(text(alert), "Wait 15 minutes") {
				t.Error("the refusal does not say when to try again")
			}
		}
		if db.Count(t, "users", "email = 'new@example.com'") != 0 {
			t.Fatal("a throttled sign-up created an account")
		}
		db.Clock.Advance(15*time.Minute + time.Second)
		if res := b.post("/signup", signupForm("New Person", "new@example.com"), true); res.status != http.StatusSeeOther {
			t.Fatalf("after the window: %d, want 303", res.status)
		}
	})
}

func TestSignUpsFromOneNetworkAreRateLimited(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.invitedReferrer(t)
		db.FixtureSignupsFrom(t, "127.0.0.1", 20)
		res := a.browser(t).post("/signup", signupForm("One More", "one-more@example.com"), true)
		if res.status != http.StatusTooManyRequests {
			t.Fatalf("21st sign-up in an hour: %d, want 429", res.status)
		}
		doc := parse(t, res.body)
		if alert := find(doc, func(n *html.Node) bool { return attr(n, "role") == "alert" }); alert == nil || !strings.Contains(text(alert), "try again later") {
			t.Error("no message saying why")
		}
		if attr(byID(doc, "email"), "value") != "one-more@example.com" {
			t.Error("the input was not kept")
		}
	})
}

// firstTag is the first element named tag.
func firstTag(doc *html.Node, tag string) *html.Node {
	return find(doc, func(n *html.Node) bool { return n.Data == tag })
}

func hasClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		for _, c := range strings.Fields(attr(n, "class")) {
			if c == class {
				return true
			}
		}
		return false
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
