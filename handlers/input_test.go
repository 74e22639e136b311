package handlers_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
)

// rawRequest writes head (request line and headers, without the blank line) and then
// body to the test server over a plain connection, and reads the response without
// writing anything more: a server that waited for the rest of a declared body would
// never answer, and the read deadline fails the test.
func rawRequest(t *testing.T, a *app, head, body string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", a.server.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(head + "\r\n\r\n" + body)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer before the body was sent whole: %v", err)
	}
	res.Body.Close()
	return res
}

// cookieHeader is the Cookie header b would send to the app.
func (b *browser) cookieHeader() string {
	u, _ := url.Parse(b.app.server.URL)
	var parts []string
	for _, c := range b.http.Jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return "Cookie: " + strings.Join(parts, "; ")
}

func TestLargeFormBodiesAreRefusedWithoutBeingRead(t *testing.T) {
	a := newApp(t, modelstest.SQLite(t))
	// Declared 9 MB, 1 KB sent: refused on the declared length.
	res := rawRequest(t, a, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9000000",
		"email="+strings.Repeat("a", 1000))
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("declared 9 MB to /login: %d, want 413", res.StatusCode)
	}
	// Chunked, no declared length: refused once the limit is passed, the rest unsent.
	chunk := strings.Repeat("a", 20000)
	res = rawRequest(t, a, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked",
		fmt.Sprintf("%x\r\nemail=%s\r\n", len(chunk)+6, chunk))
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 20 KB to /login: %d, want 413", res.StatusCode)
	}
	// A multipart form is bounded alike.
	res = rawRequest(t, a, "POST /signup HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 9000000", "--b\r\n")
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("declared 9 MB multipart to /signup: %d, want 413", res.StatusCode)
	}

	// An ordinary form still works.
	a.createUser(t, models.NewUser{Email: "ana@example.com"})
	a.browser(t).signIn("ana@example.com", "correct horse", "/dashboard")
}

func TestOnlyStaffMaySendALargeUpload(t *testing.T) {
	a := newApp(t, modelstest.SQLite(t))
	a.referral(t)
	head := "POST /admin/earnings/import HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 20000000"

	// Anonymous: sent to sign in, the body unread.
	res := rawRequest(t, a, head, "--b\r\n")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("anonymous upload: %d to %q, want 303 to /login", res.StatusCode, res.Header.Get("Location"))
	}
	// A freelancer: 403, the body unread.
	a.createUser(t, models.NewUser{Email: "ana@example.com"})
	freelancer := a.browser(t)
	freelancer.signIn("ana@example.com", "correct horse", "/dashboard")
	if res := rawRequest(t, a, head+"\r\n"+freelancer.cookieHeader(), "--b\r\n"); res.StatusCode != http.StatusForbidden {
		t.Errorf("freelancer upload: %d, want 403", res.StatusCode)
	}
	// Staff: beyond the upload limit, 413 unread.
	staff := signedInAdmin(t, a)
	tooBig := strings.Replace(head, "20000000", "40000000", 1)
	if res := rawRequest(t, a, tooBig+"\r\n"+staff.cookieHeader(), "--b\r\n"); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("staff upload of 40 MB: %d, want 413", res.StatusCode)
	}
	// Staff: a file far larger than any form is imported.
	var csv strings.Builder
	csv.WriteString("id,freelancer_email,amount,category,client_id,occurred_at\n")
	for i := range 3000 {
		fmt.Fprintf(&csv, "evt_%d,sam@example.com,0.01,Customer Service,cl_9,2019-03-02T17:00:00Z\n", i)
	}
	up := staff.upload("big.csv", csv.String())
	if summary := byID(parse(t, up.body), "import-summary"); up.status != http.StatusOK || summary == nil || !strings.Contains(text(summary), "Accepted 3000") {
		t.Errorf("staff upload of %d bytes: %d", csv.Len(), up.status)
	}
}

func TestUnknownPathsAnswer404ToEveryone(t *testing.T) {
	a := newApp(t, modelstest.SQLite(t))
	a.createUser(t, models.NewUser{Email: "ana@example.com"})
	freelancer := a.browser(t)
	freelancer.signIn("ana@example.com", "correct horse", "/dashboard")
	visitors := map[string]*browser{"anonymous": a.browser(t), "freelancer": freelancer, "staff": signedInAdmin(t, a)}
	for who, b := range visitors {
		for _, path := range []string{"/nope", "/admin/nope", "/admin/payouts/1/nope", "/dashboard/nope", "/static-nope"} {
			res := b.get(path)
			if res.status != http.StatusNotFound || !strings.Contains(res.body, "couldn") {
				t.Errorf("%s GET %s: %d, want the 404 page", who, path, res.status)
			}
			if res.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s GET %s: the 404 page lacks the security headers", who, path)
			}
		}
		for _, path := range []string{"/nope", "/admin/nope", "/admin"} {
			if res := b.post(path, nil, false); res.status != http.StatusNotFound {
				t.Errorf("%s POST %s: %d, want 404", who, path, res.status)
			}
		}
	}
	// The signed-in 404 page still signs out (its form carries the CSRF token).
	if res := freelancer.get("/nope"); !strings.Contains(res.body, `action="/logout"`) {
		t.Error("the signed-in 404 page has no sign-out form")
	}
	if res := freelancer.post("/logout", nil, true); res.status != http.StatusSeeOther {
		t.Errorf("sign-out after a 404: %d", res.status)
	}

	// The API: JSON, whatever the signature.
	anon := a.browser(t)
	for _, path := range []string{"/api/v1/nope", "/api/nope", "/api/v1"} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			req, _ := http.NewRequest(method, a.server.URL+path, strings.NewReader("{}"))
			res := anon.do(req)
			if res.status != http.StatusNotFound || res.body != `{"error":"not found"}`+"\n" || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
				t.Errorf("%s %s: %d %q, want 404 {\"error\":\"not found\"}", method, path, res.status, res.body)
			}
		}
	}
}

func TestStaticFilesAreNeverSniffed(t *testing.T) {
	b := newApp(t, modelstest.SQLite(t)).browser(t)
	for _, path := range []string{"/static/app.css", "/static/app.js", "/static/favicon.svg", "/static/missing.js"} {
		if res := b.get(path); res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: %d without X-Content-Type-Options: nosniff", path, res.status)
		}
	}
}

// A NUL byte or bytes that are not UTF-8, in a form field or a query parameter, answer
// 400 and store nothing: PostgreSQL would fail on them (a 500), and SQLite would keep
// them, or a U+FFFD standing for them.
func TestBrokenTextIsRefusedBeforeAnyHandler(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.referral(t)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		freelancer := a.browser(t)
		freelancer.signIn("ana@example.com", "correct horse", "/dashboard")
		staff := signedInAdmin(t, a)
		anon := a.browser(t)
		users := db.Count(t, "users", "1=1")

		for _, bad := range []string{"x\x00y", "x\xffy", "\xc3"} {
			forms := []struct {
				who  *browser
				path string
				form url.Values
			}{
				{anon, "/login", url.Values{"email": {"ana@example.com" + bad}, "password": {"correct horse"}}},
				{anon, "/login/link", url.Values{"email": {bad + "@example.com"}}},
				{anon, "/signup", url.Values{"name": {"Sam" + bad}, "email": {"new@example.com"}, "password": {"long enough password"}, "country": {"US"}}},
				{anon, "/signup", url.Values{"name": {"Sam"}, "email": {"new" + bad + "@example.com"}, "password": {"long enough password"}, "country": {"US"}}},
				{staff, "/admin/payouts/reject", url.Values{"ids": {"1"}, "reason": {"no" + bad}}},
			}
			for _, f := range forms {
				if res := f.who.post(f.path, f.form, true); res.status != http.StatusBadRequest {
					t.Errorf("POST %s with %q: %d, want 400", f.path, bad, res.status)
				}
			}
			query := url.QueryEscape(bad)
			for _, get := range []struct {
				who  *browser
				path string
			}{
				{freelancer, "/dashboard?program=" + query},
				{anon, "/help?program=" + query},
				{staff, "/admin/payouts?q=" + query},
				{staff, "/admin/referrals?q=" + query},
				{staff, "/admin/outbox?q=" + query},
				{anon, "/r/" + url.PathEscape("CODE"+bad)},
			} {
				if res := get.who.get(get.path); res.status != http.StatusBadRequest {
					t.Errorf("GET %s: %d, want 400", get.path, res.status)
				}
			}
		}
		if n := db.Count(t, "users", "1=1"); n != users {
			t.Errorf("%d users were created from broken text", n-users)
		}
		// The message says what to do.
		res := anon.post("/signup", url.Values{"name": {"Sam\xff"}}, true)
		if !strings.Contains(text(parse(t, res.body)), "not text") {
			t.Errorf("the 400 page does not say what was wrong: %q", text(parse(t, res.body)))
		}
		// Good text in every script still goes through.
		if res := anon.post("/signup", url.Values{"name": {"Zoë 山田"}, "email": {"zoe@example.com"}, "password": {"long enough password"}, "country": {"US"}}, true); res.status != http.StatusSeeOther {
			t.Errorf("sign-up with a non-ASCII name: %d", res.status)
		}
		if db.Count(t, "users", "name = ?", "Zoë 山田") != 1 {
			t.Error("the non-ASCII name was not stored as typed")
		}
	})
}

// The API's JSON decoder would turn a broken byte into U+FFFD: such a body is refused
// whole, and a NUL is refused by the fields' own checks.
func TestAPIBodiesMustBeText(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		before := db.Count(t, "users", "1=1")
		res := a.signed(t, "/api/v1/freelancers", []byte(`{"freelancers":[{"email":"new@example.com","name":"Sam `+"\xff"+`"}]}`))
		if res.status != http.StatusBadRequest || !strings.Contains(apiError(t, res), "UTF-8") {
			t.Errorf("a body with a broken byte: %d %q, want 400", res.status, res.body)
		}
		for _, name := range []string{`Sam \ud800`, `Sam \udc00x`, `Sam \ud800\u0041`, `\ud83d`} {
			res = a.signed(t, "/api/v1/freelancers", []byte(`{"freelancers":[{"email":"new@example.com","name":"`+name+`"}]}`))
			if res.status != http.StatusBadRequest || !strings.Contains(apiError(t, res), "surrogate") {
				t.Errorf("a name escaping half a surrogate pair (%s): %d %q, want 400", name, res.status, res.body)
			}
		}
		// A whole pair, an escaped backslash before a u, and a real U+FFFD typed as such pass.
		res = a.signed(t, "/api/v1/freelancers", []byte(`{"freelancers":[{"email":"new@example.com","name":"Sam \ud83d\ude00 \\ud800 \ufffd"}]}`))
		if res.status != http.StatusOK || !strings.Contains(res.body, `"created"`) {
			t.Errorf("a name with a whole surrogate pair: %d %q, want it created", res.status, res.body)
		}
		before++
		res = a.signed(t, "/api/v1/freelancers", []byte(`{"freelancers":[{"email":"new2@example.com","name":"Sam \u0000"}]}`))
		if res.status != http.StatusOK || !strings.Contains(res.body, `"rejected"`) {
			t.Errorf("a name with a NUL: %d %q, want the item rejected", res.status, res.body)
		}
		if n := db.Count(t, "users", "1=1"); n != before {
			t.Errorf("%d users were created", n-before)
		}
	})
}

// A signed-in page records the address it came from (for same_ip, R12), once a day.
func TestSignedInPagesRecordTheirAddress(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db, func(o *handlers.Options) { o.TrustedProxies = []string{"127.0.0.1/32"} })
		ana := a.createUser(t, models.NewUser{Email: "ana@example.com", TopRated: true})
		b := a.browser(t)
		b.signIn("ana@example.com", "correct horse", "/dashboard")
		for range 3 {
			req, _ := http.NewRequest(http.MethodGet, a.server.URL+"/dashboard", nil)
			req.Header.Set("X-Forwarded-For", "203.0.113.50")
			if res := b.do(req); res.status != http.StatusOK {
				t.Fatalf("dashboard: %d", res.status)
			}
		}
		if n := db.Count(t, "user_ip_days", "user_id = ? AND ip = ?", ana.ID, "203.0.113.50"); n != 1 {
			t.Errorf("%d rows for the address the dashboard was read from, want 1", n)
		}
		if n := db.Count(t, "user_ip_days", "ip = ?", "203.0.113.51"); n != 0 {
			t.Errorf("an address never used was recorded")
		}
	})
}
