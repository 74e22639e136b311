package handlers_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"referrals/models"
	"referrals/models/modelstest"
)

// upload posts a CSV file to the import page as the form would (multipart, with the
// CSRF token; no file when name is "").
func (b *browser) upload(name, content string) response {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("_csrf", b.csrfToken())
	if name != "" {
		part, _ := w.CreateFormFile("file", name)
		part.Write([]byte(content))
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, b.app.server.URL+"/admin/earnings/import", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

const importCSV = "id,freelancer_email,amount,category,client_id,occurred_at\n" +
	"evt_1,sam@example.com,310.00,Customer Service,cl_9,2019-03-02T17:00:00Z\n" +
	"evt_2,sam@example.com,-25.00,Customer Service,cl_9,2019-03-03\n" +
	"evt_3,ana@example.com,40.00,Customer Service,cl_9,2019-03-03\n"

func TestTheImportPageShowsTheFormAndTheFormat(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		b := signedInAdmin(t, newApp(t, db))
		res := b.get("/admin/earnings/import")
		if res.status != http.StatusOK {
			t.Fatalf("status %d", res.status)
		}
		doc := parse(t, res.body)
		form := find(doc, func(n *html.Node) bool { return n.Data == "form" && attr(n, "action") == "/admin/earnings/import" })
		if form == nil || attr(form, "enctype") != "multipart/form-data" || attr(form, "method") != "post" {
			t.Fatal("no multipart upload form")
		}
		if input := byID(form, "file"); input == nil || attr(input, "type") != "file" || attr(input, "name") != "file" {
			t.Error("no file input named file")
		}
		if find(form, func(n *html.Node) bool { return attr(n, "name") == "_csrf" }) == nil {
			t.Error("the form has no CSRF field")
		}
		if h := byID(doc, "csv-header"); h == nil || strings.ReplaceAll(text(h), " ", "") != "id,freelancer_email,amount,category,client_id,occurred_at" {
			t.Error("the page does not show the header the file needs")
		}
	})
}

func TestImportingACSVShowsTheSummary(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.referral(t)
		b := signedInAdmin(t, a)
		res := b.upload("march.csv", importCSV)
		if res.status != http.StatusOK {
			t.Fatalf("status %d", res.status)
		}
		summary := byID(parse(t, res.body), "import-summary")
		if summary == nil {
			t.Fatal("no summary")
		}
		if got := text(summary); !strings.Contains(got, "Imported march.csv Rows 3 Accepted 2 Duplicates 0 Ignored 1") || !strings.Contains(got, "1 row: not a referred friend") {
			t.Errorf("summary %q", got)
		}
		if db.Count(t, "referrals", "counted_cents = 28500") != 1 {
			t.Error("the import did not count Sam's earnings")
		}
		if db.Count(t, "audit_events", "action = 'earnings.import' AND actor = 'staff@example.com' AND target = 'march.csv'") != 1 {
			t.Error("the import was not audited with the admin")
		}
		res = b.upload("march.csv", importCSV)
		if got := text(byID(parse(t, res.body), "import-summary")); !strings.Contains(got, "Accepted 0 Duplicates 3") {
			t.Errorf("second import: %q", got)
		}
	})
}

func TestACSVWithOneBadRowAppliesNothingAndNamesTheRow(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.referral(t)
		b := signedInAdmin(t, a)
		res := b.upload("march.csv", importCSV+"evt_4,sam@example.com,12.345,Customer Service,cl_9,2019-03-04\n")
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", res.status)
		}
		doc := parse(t, res.body)
		rows := findAll(doc, func(n *html.Node) bool { return n.Data == "tr" && attr(n, "data-line") != "" })
		if len(rows) != 1 || attr(rows[0], "data-line") != "5" || !strings.Contains(text(rows[0]), `amount "12.345" has more than two decimals`) {
			t.Fatalf("bad rows shown: %d", len(rows))
		}
		if !strings.Contains(text(byID(doc, "bad-rows")), "Nothing was imported") {
			t.Error("the page does not say nothing was imported")
		}
		if db.Count(t, "earnings", "") != 0 || db.Count(t, "audit_events", "action = 'earnings.import'") != 0 {
			t.Error("a file with a bad row was applied")
		}
	})
}

func TestImportingWithoutAFileSaysSoBesideTheField(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		b := signedInAdmin(t, newApp(t, db))
		res := b.upload("", "")
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", res.status)
		}
		doc := parse(t, res.body)
		if msg := byID(doc, "file-error"); msg == nil || !strings.Contains(text(msg), "Choose a CSV file") {
			t.Error("no message beside the file field")
		}
		if attr(byID(doc, "file"), "aria-invalid") != "true" {
			t.Error("the file field is not marked invalid")
		}
	})
}

func TestOnlyAdminsImportAndOnlyWithTheCSRFToken(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		a.createUser(t, models.NewUser{Email: "ana@example.com"})
		if res := a.browser(t).get("/admin/earnings/import"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/login") {
			t.Errorf("anonymous: %d to %q", res.status, res.location)
		}
		freelancer := a.browser(t)
		freelancer.signIn("ana@example.com", "correct horse", "/dashboard")
		if res := freelancer.upload("x.csv", importCSV); res.status != http.StatusForbidden {
			t.Errorf("freelancer upload: %d, want 403", res.status)
		}
		admin := signedInAdmin(t, a)
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		part, _ := w.CreateFormFile("file", "x.csv")
		part.Write([]byte(importCSV))
		w.Close()
		req, _ := http.NewRequest(http.MethodPost, a.server.URL+"/admin/earnings/import", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		if res := admin.do(req); res.status != http.StatusForbidden {
			t.Errorf("upload without the CSRF token: %d, want 403", res.status)
		}
		if db.Count(t, "earnings", "") != 0 {
			t.Error("a refused upload was applied")
		}
	})
}
