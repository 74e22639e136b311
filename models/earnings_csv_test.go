package models_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"referrals/models"
	"referrals/models/modelstest"
)

const goodCSV = "id,freelancer_email,amount,category,client_id,occurred_at\n" +
	"evt_1,sam@example.com,310.00,Customer Service,cl_9,2019-03-02T17:00:00Z\n" +
	"evt_2,SAM@example.com,-25.00,Customer Service,cl_9,2019-03-03\n" +
	"\n" +
	"\"evt_3\", sam@example.com ,12.5,\"Customer Service, chat\",cl_10,2019-03-04T09:00:00-08:00\n"

func TestParseEarningsCSVReadsEveryRow(t *testing.T) {
	file, err := models.ParseEarningsCSV("march.csv", strings.NewReader("\ufeff"+goodCSV))
	if err != nil {
		t.Fatal(err)
	}
	want := []models.EarningEvent{
		{ID: "evt_1", FreelancerEmail: "sam@example.com", AmountCents: 31000, Currency: "USD", Category: "Customer Service", ClientID: "cl_9", OccurredAt: "2019-03-02T17:00:00Z"},
		{ID: "evt_2", FreelancerEmail: "SAM@example.com", AmountCents: -2500, Currency: "USD", Category: "Customer Service", ClientID: "cl_9", OccurredAt: "2019-03-03"},
		{ID: "evt_3", FreelancerEmail: "sam@example.com", AmountCents: 1250, Currency: "USD", Category: "Customer Service, chat", ClientID: "cl_10", OccurredAt: "2019-03-04T09:00:00-08:00"},
	}
	if !slices.Equal(file.Events, want) {
		t.Errorf("events\n%+v\nwant\n%+v", file.Events, want)
	}
	if !slices.Equal(file.Lines, []int{2, 3, 5}) || file.Name != "march.csv" {
		t.Errorf("lines %v name %q", file.Lines, file.Name)
	}
}

func TestParseEarningsCSVAcceptsColumnsInAnyOrder(t *testing.T) {
	file, err := models.ParseEarningsCSV("x.csv", strings.NewReader("Occurred_At, amount,id,client_id,category,freelancer_email\n2019-03-02,5,e1,c,Customer Service,a@b.co\n"))
	if err != nil || len(file.Events) != 1 || file.Events[0].AmountCents != 500 || file.Events[0].ID != "e1" {
		t.Fatalf("%+v, %v", file, err)
	}
}

func TestParseEarningsCSVReportsEveryBadRow(t *testing.T) {
	in := "id,freelancer_email,amount,category,client_id,occurred_at\n" +
		"ok_1,sam@example.com,10.00,Customer Service,cl_9,2019-03-02\n" + // 2
		"bad_1,sam@example.com,12.345,Customer Service,cl_9,2019-03-02\n" + // 3
		"bad_2,sam@example.com,1e3,Customer Service,cl_9,2019-03-02\n" + // 4
		",,,,,\n" + // 5
		"bad_4,sam@example.com,10,Customer Service,cl_9,2019-02-30\n" + // 6
		"bad_5,sam@example.com,10,Customer Service,cl_9,03/02/2019\n" + // 7
		"ok_1,sam@example.com,11.00,Customer Service,cl_9,2019-03-02\n" + // 8
		"bad_7,sam@example.com,10\n" + // 9
		"bad_8,not-an-email,0,Customer Service,cl_9,2019-03-02\n" + // 10
		"bad_9,sam@example.com,$5,Customer Service,cl_9,2019-03-02\n" // 11
	file, err := models.ParseEarningsCSV("x.csv", strings.NewReader(in))
	if err != nil {
		t.Fatalf("err = %v; the rows' problems belong in file.Bad", err)
	}
	if len(file.Events) != 1 || file.Lines[0] != 2 {
		t.Errorf("events %+v on lines %v, want the one good row", file.Events, file.Lines)
	}
	bad := file.Bad
	want := map[int][]string{
		3:  {`amount "12.345" has more than two decimals`},
		4:  {`amount "1e3" must be a number of dollars like 12.34`},
		5:  {"id is empty", "freelancer_email is empty", "amount is empty", "category is empty", "client_id is empty", "occurred_at is empty"},
		6:  {`occurred_at "2019-02-30" is not a time like 2019-03-01T17:00:00Z (RFC 3339) or a date like 2019-03-01`},
		7:  {`occurred_at "03/02/2019"`},
		8:  {`id "ok_1" already appears on line 2 with other values`},
		9:  {"has 3 fields; the header has 6"},
		10: {`freelancer_email "not-an-email" is not an email address`, "amount is 0"},
		11: {`amount "$5" must be a number of dollars`},
	}
	var lines []int
	for _, r := range bad {
		lines = append(lines, r.Line)
		for _, w := range want[r.Line] {
			if !strings.Contains(r.Reason, w) {
				t.Errorf("line %d: %q lacks %q", r.Line, r.Reason, w)
			}
		}
	}
	if !slices.Equal(lines, []int{3, 4, 5, 6, 7, 8, 9, 10, 11}) {
		t.Errorf("bad lines %v, want 3 to 11", lines)
	}
	if msg := bad.Error(); !strings.HasPrefix(msg, "9 bad rows, nothing was imported: line 3: ") {
		t.Errorf("message %q", msg)
	}
}

func TestARowRepeatedWithinAFileIsADuplicateNotAnError(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		in := "id,freelancer_email,amount,category,client_id,occurred_at\n" +
			"e1,sam@example.com,10.00,Customer Service,cl_9,2019-03-02\n" +
			"e1,sam@example.com,10.00,Customer Service,cl_9,2019-03-02\n"
		file, err := models.ParseEarningsCSV("x.csv", strings.NewReader(in))
		if err != nil || len(file.Events) != 2 {
			t.Fatalf("%+v, %v", file, err)
		}
		sum, err := db.Store.ImportEarnings(context.Background(), models.CLIActor(), file)
		if err != nil || sum.Duplicates != 1 {
			t.Fatalf("summary %+v, %v; want one duplicate", sum, err)
		}
		if n := db.Count(t, "earnings", "external_id = 'e1'"); n != 1 {
			t.Fatalf("%d rows for e1", n)
		}
	})
}

func TestParseEarningsCSVRefusesAWrongHeader(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "the file is empty",
		"id,email,amount\n": `unknown column "email"`,
		"id,freelancer_email,amount,category,client_id,occurred_at,id\n": `column "id" appears twice`,
		"evt_1,sam@example.com,10.00,Customer Service,cl_9,2019-03-02\n": `unknown column "evt_1"`,
		"id,freelancer_email,amount,category,client_id\n":                `column "occurred_at" is missing`,
	} {
		_, err := models.ParseEarningsCSV("x.csv", strings.NewReader(in))
		var bad models.BadRows
		if !errors.As(err, &bad) || len(bad) != 1 || bad[0].Line != 1 || !strings.Contains(bad[0].Reason, want) {
			t.Errorf("header %q: %v, want line 1: %s", in, err, want)
		}
	}
}

func TestParseEarningsCSVReportsBrokenQuoting(t *testing.T) {
	in := "id,freelancer_email,amount,category,client_id,occurred_at\n" +
		"e1,sam@example.com,10,Customer \"Service,cl_9,2019-03-02\n"
	file, err := models.ParseEarningsCSV("x.csv", strings.NewReader(in))
	if err != nil || len(file.Bad) != 1 || file.Bad[0].Line != 2 || !strings.Contains(file.Bad[0].Reason, "not valid CSV") {
		t.Fatalf("%+v, %v", file.Bad, err)
	}
}

func FuzzParseEarningsCSV(f *testing.F) {
	f.Add(goodCSV)
	f.Add("id,freelancer_email,amount,category,client_id,occurred_at\ne,a@b.co,-0.01,x,y,2019-03-02\ne,a@b.co,1,x,y,2019-03-02\n")
	f.Add("id,freelancer_email,amount,category,client_id,occurred_at\r\n\"a\"\"b\",a@b.co,1e3,x,y,2019-13-01\r\n")
	f.Add("occurred_at,id\n\"unterminated\n")
	f.Fuzz(func(t *testing.T, in string) {
		file, err := models.ParseEarningsCSV("fuzz.csv", strings.NewReader(in))
		if err != nil {
			var bad models.BadRows
			if !errors.As(err, &bad) || len(bad) != 1 || bad[0].Line != 1 {
				t.Fatalf("error %v is not a bad first line", err)
			}
			if len(file.Events) != 0 || len(file.Bad) != 0 {
				t.Fatal("rows returned from an unreadable file")
			}
			return
		}
		for _, r := range file.Bad {
			if r.Line < 2 || r.Reason == "" || slices.Contains(file.Lines, r.Line) {
				t.Fatalf("bad row %+v", r)
			}
		}
		if len(file.Events) != len(file.Lines) {
			t.Fatal("events and lines differ in number")
		}
		for i, e := range file.Events {
			if e.ID == "" || e.AmountCents == 0 || e.Currency != "USD" || (i > 0 && file.Lines[i] <= file.Lines[i-1]) {
				t.Fatalf("accepted row %d: %+v", file.Lines[i], e)
			}
		}
		// Writing the events back out gives a file that reads the same.
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write(models.EarningsCSVHeader())
		for _, e := range file.Events {
			w.Write([]string{e.ID, e.FreelancerEmail, models.FormatDollars(e.AmountCents), e.Category, e.ClientID, e.OccurredAt})
		}
		w.Flush()
		again, err := models.ParseEarningsCSV("again.csv", &buf)
		if err != nil || len(again.Bad) != 0 || !slices.Equal(again.Events, file.Events) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, again.Events, file.Events)
		}
	})
}

var dollarsPattern = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,2})?$`)

func FuzzParseDollars(f *testing.F) {
	for _, s := range []string{"500", "12.5", "-25.00", "0.01", "12.345", "1e3", "$5", "1,000", "", "-", ".5", "12.", "999999999999999.99", "-0", "0000000000000000001.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cents, err := models.ParseDollars(s)
		if err != nil {
			if cents != 0 {
				t.Fatalf("ParseDollars(%q) = %d with an error", s, cents)
			}
			return
		}
		if !dollarsPattern.MatchString(s) {
			t.Fatalf("ParseDollars accepted %q", s)
		}
		out := models.FormatDollars(cents)
		back, err := models.ParseDollars(out)
		if err != nil || back != cents {
			t.Fatalf("ParseDollars(%q) = %d, formatted %q, parsed back %d, %v", s, cents, out, back, err)
		}
	})
}

func parseCSV(t *testing.T, in string) models.EarningsFile {
	t.Helper()
	file, err := models.ParseEarningsCSV("march.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	return file
}

func TestImportEarningsAppliesTheFileAndAuditsIt(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		ctx := context.Background()
		in := goodCSV + "evt_4,ana@example.com,99.00,Customer Service,cl_9,2019-03-02\n" +
			"evt_5,sam@example.com,99.00,Design,cl_9,2019-03-02\n"
		sum, err := db.Store.ImportEarnings(ctx, models.CLIActor(), parseCSV(t, in))
		if err != nil {
			t.Fatal(err)
		}
		// evt_3's category is "Customer Service, chat": another category.
		want := models.ImportSummary{Rows: 5, Accepted: 2, Ignored: 3, IgnoredBy: []models.ReasonCount{{models.ReasonOtherCategory, 2}, {models.ReasonNotReferredFriend, 1}}}
		if fmt.Sprint(sum) != fmt.Sprint(want) {
			t.Errorf("summary %+v, want %+v", sum, want)
		}
		if cents, _ := counted(t, db, ref.ID); cents != 31000-2500 {
			t.Errorf("total %d", cents)
		}
		if db.Count(t, "audit_events", "action = 'earnings.import' AND target = 'march.csv' AND actor = 'cli'") != 1 {
			t.Error("the import was not audited")
		}
		// Importing the same file again changes nothing and says so.
		sum, err = db.Store.ImportEarnings(ctx, models.CLIActor(), parseCSV(t, in))
		if err != nil || sum.Duplicates != 5 || sum.Accepted != 0 || sum.Ignored != 0 {
			t.Errorf("second import: %+v, %v", sum, err)
		}
		if cents, _ := counted(t, db, ref.ID); cents != 31000-2500 {
			t.Errorf("total %d after reimport", cents)
		}
	})
}

func TestAnImportThatConflictsWithAKnownIDAppliesNothing(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		record(t, db, earning("evt_2", 100))
		earnings, audits := db.Count(t, "earnings", ""), db.Count(t, "audit_events", "")
		_, err := db.Store.ImportEarnings(context.Background(), models.CLIActor(), parseCSV(t, goodCSV))
		var bad models.BadRows
		if !errors.As(err, &bad) || len(bad) != 1 || bad[0].Line != 3 || bad[0].Reason != models.ReasonConflict {
			t.Fatalf("err = %v, want line 3: %s", err, models.ReasonConflict)
		}
		if db.Count(t, "earnings", "") != earnings || db.Count(t, "audit_events", "") != audits {
			t.Error("a refused import applied something")
		}
		if cents, _ := counted(t, db, ref.ID); cents != 100 {
			t.Errorf("total %d, want 100", cents)
		}
	})
}

// A row repeated in one file, the same event written differently (another UTC offset for
// the same instant, another letter case of the category, spaces), is a duplicate, as the
// same two rows in two files are: the file compares the event as the Store compares a
// redelivery.
func TestARowRepeatedInAFileWrittenDifferentlyIsADuplicate(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		first := "e1,sam@example.com,10.00,Customer Service,cl_9,2019-03-02T17:00:00Z\n"
		again := "e1, SAM@example.com ,10,customer service,cl_9,2019-03-02T12:00:00-05:00\n"
		header := "id,freelancer_email,amount,category,client_id,occurred_at\n"
		sum, err := db.Store.ImportEarnings(context.Background(), models.CLIActor(), parseCSV(t, header+first+again))
		if err != nil || sum.Accepted != 1 || sum.Duplicates != 1 {
			t.Fatalf("one file: summary %+v, %v; want 1 accepted and 1 duplicate", sum, err)
		}
		// The same two rows in two files: the same answer.
		sum, err = db.Store.ImportEarnings(context.Background(), models.CLIActor(), parseCSV(t, header+again))
		if err != nil || sum.Duplicates != 1 {
			t.Fatalf("second file: summary %+v, %v; want a duplicate", sum, err)
		}
		if cents, _ := counted(t, db, ref.ID); cents != 1000 {
			t.Errorf("total %d, want 1000", cents)
		}
		// Another instant is other values, in one file as across files.
		file := parseCSV(t, header+first+"e1,sam@example.com,10.00,Customer Service,cl_9,2019-03-02T17:00:00-05:00\n")
		if len(file.Bad) != 1 || file.Bad[0].Line != 3 || !strings.Contains(file.Bad[0].Reason, "other values") {
			t.Errorf("another instant in one file: %+v", file.Bad)
		}
	})
}

// A refused file lists every bad row at once: the unreadable ones and those the stored
// events refuse (a known id with other values), in line order, and applies nothing.
func TestAnImportReportsEveryBadRowAtOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, ref := referred(t, db)
		record(t, db, earning("known", 100))
		earnings, audits := db.Count(t, "earnings", ""), db.Count(t, "audit_events", "")
		in := "id,freelancer_email,amount,category,client_id,occurred_at\n" +
			"fine,sam@example.com,50.00,Customer Service,cl_9,2019-03-02\n" + // 2
			"known,sam@example.com,99.00,Customer Service,cl_9,2019-03-02\n" + // 3: conflicts with the stored event
			"broken,sam@example.com,12.345,Customer Service,cl_9,2019-03-02\n" + // 4: unreadable
			"fine_2,sam@example.com,60000.00,Customer Service,cl_9,2019-03-02\n" // 5: would qualify Sam
		_, err := db.Store.ImportEarnings(context.Background(), models.CLIActor(), parseCSV(t, in))
		var bad models.BadRows
		if !errors.As(err, &bad) || len(bad) != 2 || bad[0].Line != 3 || bad[0].Reason != models.ReasonConflict ||
			bad[1].Line != 4 || !strings.Contains(bad[1].Reason, "more than two decimals") {
			t.Fatalf("err = %v, want line 3 (conflict) and line 4 (amount)", err)
		}
		if db.Count(t, "earnings", "") != earnings || db.Count(t, "audit_events", "") != audits || db.Count(t, "payouts", "") != 0 {
			t.Error("a refused import applied something")
		}
		if cents, status := counted(t, db, ref.ID); cents != 100 || status != "earning" {
			t.Errorf("total %d (%s), want 100, earning", cents, status)
		}
	})
}
