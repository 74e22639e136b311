package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"referrals/models"
	"referrals/models/modelstest"
)

// enrol goes through /settings/mfa as a person would: reads the secret off the page,
// types the app's code, and returns the secret and the recovery codes shown.
func (b *browser) enrol() (string, []string) {
	b.t.Helper()
	res := b.get("/settings/mfa")
	if res.status != http.StatusOK {
		b.t.Fatalf("GET /settings/mfa: %d", res.status)
	}
	doc := parse(b.t, res.body)
	uri := byID(doc, "totp-uri")
	if uri == nil {
		b.t.Fatal("no #totp-uri on the enrolment page")
	}
	u, err := url.Parse(text(uri))
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") == "" {
		b.t.Fatalf("#totp-uri holds %q, want otpauth://totp/…?secret=…", text(uri))
	}
	if svg := byID(doc, "totp-qr"); svg == nil || svg.Data != "svg" {
		b.t.Error("no QR code <svg> on the enrolment page")
	}
	secret := u.Query().Get("secret")
	if text(byID(doc, "totp-secret")) != secret {
		b.t.Errorf("the secret shown (%q) is not the URI's (%q)", text(byID(doc, "totp-secret")), secret)
	}
	res = b.post("/settings/mfa", url.Values{"code": {b.app.totpCode(secret)}}, true)
	if res.status != http.StatusOK {
		b.t.Fatalf("enrol: %d", res.status)
	}
	var codes []string
	for _, li := range findAll(parse(b.t, res.body), func(n *html.Node) bool {
		return n.Data == "li" && n.Parent != nil && attr(n.Parent, "id") == "recovery-codes"
	}) {
		codes = append(codes, text(li))
	}
	return secret, codes
}

var recoveryCodeFormat = regexp.MustCompile(`^[a-z0-9]{5}-[a-z0-9]{5}$`)

func TestStaffSetUpTwoFactorSignInBeforeAnyOtherStaffPage(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUnenrolled(t, models.NewUser{Email: "rita@example.com", Role: models.RoleReviewer})
		b := a.browser(t)
		b.signIn("rita@example.com", "correct horse", "/admin")
		for _, path := range []string{"/admin", "/admin/payouts", "/settings", "/dashboard"} {
			res := b.get(path)
			if path == "/dashboard" { // staff are sent to /admin first
				res = b.get(res.location)
			}
			if res.status != http.StatusSeeOther || res.location != "/settings/mfa" {
				t.Errorf("GET %s before enrolling: %d to %q, want 303 to /settings/mfa", path, res.status, res.location)
			}
		}
		b.get("/settings/mfa")
		if res := b.post("/settings/mfa", url.Values{"code": {"000000"}}, true); res.status != http.StatusUnprocessableEntity ||
			!strings.Contains(text(parse(t, res.body)), "doesn't match") {
			t.Errorf("a wrong enrolment code: %d", res.status)
		}
		_, codes := b.enrol()
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes shown, want 10", len(codes))
		}
		for _, c := range codes {
			if !recoveryCodeFormat.MatchString(c) {
				t.Errorf("recovery code %q is not xxxxx-xxxxx", c)
			}
		}
		if res := b.get("/admin"); res.status != http.StatusOK {
			t.Errorf("GET /admin after enrolling: %d", res.status)
		}
		if n := db.Count(t, "recovery_codes", "code_hash LIKE ?", "%"+codes[0]+"%"); n != 0 {
			t.Error("a recovery code is stored in clear")
		}
		if page := b.get("/settings/mfa"); strings.Contains(page.body, codes[0]) || byID(parse(t, page.body), "totp-uri") != nil {
			t.Error("the codes or the secret are shown again after enrolment")
		}
	})
}

func TestAnUnenrolledStaffMemberCanSignOut(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUnenrolled(t, models.NewUser{Email: "rita@example.com", Role: models.RoleReviewer})
		b := a.browser(t)
		b.signIn("rita@example.com", "correct horse", "/admin")
		if res := b.post("/logout", nil, true); res.status != http.StatusSeeOther || res.location != "/login" {
			t.Fatalf("sign out: %d to %q", res.status, res.location)
		}
		if res := b.get("/settings/mfa"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/login") {
			t.Errorf("after signing out: %d to %q", res.status, res.location)
		}
	})
}

func TestStaffSignInAsksForACodeThatWorksOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "rita@example.com", Role: models.RoleReviewer})
		secret := a.totp["rita@example.com"]
		b := a.browser(t)
		res := b.post("/login", url.Values{"email": {"rita@example.com"}, "password": {"correct horse"}}, true)
		form := find(parse(t, res.body), func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == "/login/mfa" })
		if res.status != http.StatusOK || form == nil || find(form, func(n *html.Node) bool { return attr(n, "name") == "code" }) == nil {
			t.Fatalf("after the password: %d, want 200 with the code form", res.status)
		}
		if res := b.get("/admin"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/login") {
			t.Fatalf("GET /admin between the two steps: %d to %q, want the sign-in page", res.status, res.location)
		}
		if res := b.post("/login/mfa", url.Values{"code": {"123456"}}, true); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("a wrong code: %d, want 422", res.status)
		}
		code := a.totpCode(secret)
		if res := b.post("/login/mfa", url.Values{"code": {code}}, true); res.status != http.StatusSeeOther || res.location != "/admin" {
			t.Fatalf("the right code: %d to %q", res.status, res.location)
		}
		// Someone who saw the code (and knows the password) cannot use it again, within
		// its 30 seconds.
		thief := a.browser(t)
		thief.post("/login", url.Values{"email": {"rita@example.com"}, "password": {"correct horse"}}, true)
		if res := thief.post("/login/mfa", url.Values{"code": {code}}, true); res.status != http.StatusUnprocessableEntity {
			t.Errorf("the same code replayed: %d, want 422", res.status)
		}
		if res := thief.get("/admin"); res.status == http.StatusOK {
			t.Error("the replayed code signed in")
		}
	})
}

func TestARecoveryCodeSignsInOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUnenrolled(t, models.NewUser{Email: "owen@example.com", Role: models.RoleOwner})
		b := a.browser(t)
		b.signIn("owen@example.com", "correct horse", "/admin")
		_, codes := b.enrol()
		b.post("/logout", nil, true)
		for i, want := range []int{http.StatusSeeOther, http.StatusUnprocessableEntity} {
			c := a.browser(t)
			c.post("/login", url.Values{"email": {"owen@example.com"}, "password": {"correct horse"}}, true)
			if res := c.post("/login/mfa", url.Values{"code": {" " + strings.ToUpper(codes[3]) + " "}}, true); res.status != want {
				t.Errorf("recovery code, use %d: %d, want %d", i+1, res.status, want)
			}
		}
		if n := db.Count(t, "audit_events", "action = 'user.mfa_recovery_code'"); n != 1 {
			t.Errorf("%d audit events for the recovery code, want 1", n)
		}
		owen, _ := db.Store.UserByEmail(t.Context(), "owen@example.com")
		if left, _ := db.Store.RecoveryCodesLeft(t.Context(), owen.ID); left != 9 {
			t.Errorf("%d recovery codes left, want 9", left)
		}
	})
}

func TestWrongCodesPauseTheSecondStepLikeWrongPasswords(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "rita@example.com", Role: models.RoleReviewer})
		b := a.browser(t)
		b.post("/login", url.Values{"email": {"rita@example.com"}, "password": {"correct horse"}}, true)
		for i := range 5 {
			if res := b.post("/login/mfa", url.Values{"code": {fmt.Sprintf("%06d", i)}}, true); res.status != http.StatusUnprocessableEntity {
				t.Fatalf("wrong code %d: %d", i+1, res.status)
			}
		}
		// From another address too: the limit is the account's.
		c := a.browser(t)
		c.post("/login", url.Values{"email": {"rita@example.com"}, "password": {"correct horse"}}, true)
		if res := c.post("/login/mfa", url.Values{"code": {a.totpCode(a.totp["rita@example.com"])}}, true); res.status != http.StatusTooManyRequests {
			t.Fatalf("the right code after 5 wrong ones: %d, want 429", res.status)
		}
		db.Clock.Advance(16 * 60e9)
		c.post("/login", url.Values{"email": {"rita@example.com"}, "password": {"correct horse"}}, true)
		if res := c.post("/login/mfa", url.Values{"code": {a.totpCode(a.totp["rita@example.com"])}}, true); res.status != http.StatusSeeOther {
			t.Fatalf("the right code 16 minutes later: %d, want 303", res.status)
		}
	})
}

func TestFreelancersAreNeverAskedForACode(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		b := a.browser(t)
		b.signIn("ana@example.com", "correct horse", "/dashboard")
		if res := b.get("/settings/mfa"); res.status != http.StatusForbidden {
			t.Errorf("a freelancer on /settings/mfa: %d, want 403", res.status)
		}
		if res := b.get("/settings"); res.status != http.StatusOK {
			t.Errorf("a freelancer on /settings: %d", res.status)
		}
	})
}

func TestChangingThePasswordEndsTheOtherSessions(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		here, there := a.browser(t), a.browser(t)
		here.signIn("ana@example.com", "correct horse", "/dashboard")
		there.signIn("ana@example.com", "correct horse", "/dashboard")
		res := here.post("/settings/password", url.Values{"current_password": {"wrong horse"}, "new_password": {"battery staple"}}, true)
		if res.status != http.StatusUnprocessableEntity || text(byID(parse(t, res.body), "current_password-error")) == "" {
			t.Fatalf("a wrong current password: %d, want 422 with the message by the field", res.status)
		}
		if res := here.post("/settings/password", url.Values{"current_password": {"correct horse"}, "new_password": {"short"}}, true); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("a short new password: %d", res.status)
		}
		res = here.post("/settings/password", url.Values{"current_password": {"correct horse"}, "new_password": {"battery staple"}}, true)
		if res.status != http.StatusSeeOther || res.location != "/settings" {
			t.Fatalf("change password: %d to %q", res.status, res.location)
		}
		if res := here.get("/dashboard"); res.status != http.StatusOK {
			t.Errorf("this session ended too: %d", res.status)
		}
		if res := there.get("/dashboard"); res.status != http.StatusSeeOther {
			t.Errorf("the other session goes on: %d", res.status)
		}
		a.browser(t).signIn("ana@example.com", "battery staple", "/dashboard")
		if n := db.Count(t, "audit_events", "action = 'user.password_change'"); n != 1 {
			t.Errorf("%d audit events, want 1", n)
		}
	})
}

func TestAFreelancerSignedInByLinkSetsAPasswordWithoutACurrentOne(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.signed(t, "/api/v1/freelancers", []byte(`{"freelancers":[{"email":"lee@example.com","name":"Lee Chen","country":"US"}]}`))
		b := a.browser(t)
		b.askForSignInLink("lee@example.com")
		b.useSignInLink(emailedSignInLink(t, db, "lee@example.com"))
		doc := parse(t, b.get("/settings").body)
		if byID(doc, "current_password") != nil {
			t.Error("the form asks a password-less account for its current password")
		}
		if res := b.post("/settings/password", url.Values{"new_password": {"battery staple"}}, true); res.status != http.StatusSeeOther {
			t.Fatalf("set password: %d %.300s", res.status, res.body)
		}
		a.browser(t).signIn("lee@example.com", "battery staple", "/dashboard")
	})
}

func TestTheMarketingEmailPreferenceSetsTheOptOut(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		ana := a.createUser(t, models.NewUser{Email: "ana@example.com"})
		b := a.browser(t)
		b.signIn("ana@example.com", "correct horse", "/dashboard")
		for _, c := range []struct {
			form   url.Values
			optOut bool
		}{{url.Values{}, true}, {url.Values{"marketing_emails": {"on"}}, false}} {
			if res := b.post("/settings/email", c.form, true); res.status != http.StatusSeeOther {
				t.Fatalf("POST /settings/email %v: %d", c.form, res.status)
			}
			if u, _ := db.Store.UserByID(t.Context(), ana.ID); u.EmailOptOut != c.optOut {
				t.Errorf("after %v: email_opt_out %v", c.form, u.EmailOptOut)
			}
		}
		box := find(parse(t, b.get("/settings").body), func(n *html.Node) bool { return attr(n, "name") == "marketing_emails" })
		if box == nil || !hasAttr(box, "checked") {
			t.Error("the checkbox does not show the preference")
		}
	})
}

func TestAnOwnerAddsStaffWhoSignInByTheEmailedLink(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "owen@example.com", Role: models.RoleOwner})
		owner := a.browser(t)
		owner.signIn("owen@example.com", "correct horse", "/admin")
		res := owner.post("/admin/staff", url.Values{"email": {"not an email"}, "name": {"Rita"}, "role": {"reviewer"}}, true)
		if res.status != http.StatusUnprocessableEntity || text(byID(parse(t, res.body), "email-error")) == "" {
			t.Fatalf("a bad email: %d", res.status)
		}
		res = owner.post("/admin/staff", url.Values{"email": {"Rita@Example.com"}, "name": {"Rita Reviewer"}, "role": {"reviewer"}}, true)
		if flash := owner.flashAfter(res); !strings.Contains(flash, "rita@example.com") {
			t.Fatalf("flash %q", flash)
		}
		rita := a.browser(t)
		res = rita.useSignInLink(emailedSignInLink(t, db, "rita@example.com"))
		if res.status != http.StatusSeeOther {
			t.Fatalf("the new staff member's link: %d", res.status)
		}
		if res := rita.get("/admin"); res.location != "/settings/mfa" {
			t.Errorf("a new staff member reaches %q first, want /settings/mfa", res.location)
		}
		rita.enrol()
		if res := rita.post("/settings/password", url.Values{"new_password": {"battery staple"}}, true); res.status != http.StatusSeeOther {
			t.Errorf("set a password: %d", res.status)
		}
		if n := db.Count(t, "audit_events", "action = 'staff.add' AND target = 'rita@example.com'"); n != 1 {
			t.Errorf("%d audit events, want 1", n)
		}
	})
}

func TestDisablingAnAccountEndsItsSessionsAndSignIns(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "owen@example.com", Role: models.RoleOwner})
		rita := a.createUser(t, models.NewUser{Email: "rita@example.com", Role: models.RoleReviewer})
		owner, b := a.browser(t), a.browser(t)
		owner.signIn("owen@example.com", "correct horse", "/admin")
		b.signIn("rita@example.com", "correct horse", "/admin")
		res := owner.post(fmt.Sprintf("/admin/staff/%d/disable", rita.ID), nil, true)
		if flash := owner.flashAfter(res); !strings.Contains(flash, "disabled") {
			t.Fatalf("flash %q", flash)
		}
		if res := b.get("/admin"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/login") {
			t.Errorf("the disabled account's session: %d to %q", res.status, res.location)
		}
		res = b.post("/login", url.Values{"email": {"rita@example.com"}, "password": {"correct horse"}}, true)
		if res.status != http.StatusForbidden || !strings.Contains(text(parse(t, res.body)), "disabled") {
			t.Errorf("signing in disabled: %d", res.status)
		}
		b.askForSignInLink("rita@example.com")
		if n := db.Count(t, "emails", "recipient = 'rita@example.com'"); n != 0 {
			t.Errorf("a disabled account was emailed a sign-in link")
		}
		owner.post(fmt.Sprintf("/admin/staff/%d/enable", rita.ID), nil, true)
		b.signIn("rita@example.com", "correct horse", "/admin")
		if n := db.Count(t, "audit_events", "action IN ('user.disable', 'user.enable')"); n != 2 {
			t.Errorf("%d audit events, want 2", n)
		}
	})
}

func TestTheLastOwnerCannotBeDemotedOrDisabled(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		owen := a.createUser(t, models.NewUser{Email: "owen@example.com", Role: models.RoleOwner})
		b := a.browser(t)
		b.signIn("owen@example.com", "correct horse", "/admin")
		for _, path := range []string{"/admin/staff/%d/role", "/admin/staff/%d/disable"} {
			res := b.post(fmt.Sprintf(path, owen.ID), url.Values{"role": {"finance"}}, true)
			if flash := b.flashAfter(res); !strings.Contains(flash, "no enabled owner") {
				t.Errorf("%s: flash %q", path, flash)
			}
		}
		if u, _ := db.Store.UserByID(t.Context(), owen.ID); u.Role != models.RoleOwner || u.Disabled() {
			t.Errorf("the last owner became %s (disabled %v)", u.Role, u.Disabled())
		}
		// With a second owner, the first may step down.
		fay := a.createUser(t, models.NewUser{Email: "fay@example.com", Role: models.RoleFinance})
		b.post(fmt.Sprintf("/admin/staff/%d/role", fay.ID), url.Values{"role": {"owner"}}, true)
		if res := b.post(fmt.Sprintf("/admin/staff/%d/role", owen.ID), url.Values{"role": {"reviewer"}}, true); !strings.Contains(b.flashAfter(res), "Reviewer") {
			t.Error("an owner could not step down with another owner left")
		}
		if res := b.get("/admin/staff"); res.status != http.StatusForbidden {
			t.Errorf("the demoted owner still manages staff: %d", res.status)
		}
	})
}
