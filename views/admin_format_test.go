package views

import (
	"fmt"
	"testing"

	"referrals/models"
)

func TestSpreadsheetTextNeutralisesFormulasOnly(t *testing.T) {
	for in, want := range map[string]string{
		"=SUM(A1:A2)":       "'=SUM(A1:A2)",
		"+1":                "'+1",
		"-2+3":              "'-2+3",
		"@cmd":              "'@cmd",
		"\tx":               "'\tx",
		"\rx":               "'\rx",
		"Maria Santos":      "Maria Santos",
		"a=b":               "a=b",
		"":                  "",
		"maria@example.com": "maria@example.com",
		"'already quoted":   "'already quoted",
	} {
		if got := SpreadsheetText(in); got != want {
			t.Errorf("SpreadsheetText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAuditDetailsAreReadable(t *testing.T) {
	got := fmt.Sprint(AuditDetails(`{"amount_cents":10000,"batch_month":"2019-03","reward_cents":{"from":10000,"to":15000},"categories":{"from":["A"],"to":["A","B"]},"decided_by":null}`))
	want := "[{amount $100.00} {batch month 2019-03} {categories A → A, B} {decided by none} {reward $100.00 → $150.00}]"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := fmt.Sprint(AuditDetails("not json")); got != "[{details not json}]" {
		t.Errorf("non-JSON details: %s", got)
	}
	if AuditDetails("") != nil {
		t.Error("empty details")
	}
}

func TestAuditTargetsLinkToTheirPages(t *testing.T) {
	for _, tc := range []struct{ action, target, want string }{
		{"payout.approve", "payout:12", "/admin/payouts/12"},
		{"batch.pay", "batch:2019-03", "/admin/batches/2019-03"},
		{"program.update", "customer-service", "/admin/programs/customer-service"},
		{"earnings.import", "march.csv", ""},
	} {
		if got := AuditTargetHref(tc.action, tc.target); got != tc.want {
			t.Errorf("AuditTargetHref(%q, %q) = %q, want %q", tc.action, tc.target, got, tc.want)
		}
	}
}

func TestDecisionSummary(t *testing.T) {
	out := []models.DecisionOutcome{{PayoutID: 1}, {PayoutID: 2}, {PayoutID: 3, Err: models.ErrAlreadyDecided}, {PayoutID: 4}, {PayoutID: 5, Err: models.ErrNotFound}}
	if got := DecisionSummary("approved", out); got != "3 approved, 1 already decided, 1 not found" {
		t.Errorf("got %q", got)
	}
	if got := DecisionSummary("rejected", out[:2]); got != "2 rejected" {
		t.Errorf("got %q", got)
	}
}

func TestFunnelBarsAreProportionalAndVisible(t *testing.T) {
	rows := funnelRows([]ChartBar{{"Invited", 200}, {"Clicked", 100}, {"Paid", 1}, {"None", 0}})
	if rows[0].Width != "450" || rows[1].Width != "225" || rows[2].Width != "3" || rows[3].Width != "0" {
		t.Errorf("widths %s %s %s %s", rows[0].Width, rows[1].Width, rows[2].Width, rows[3].Width)
	}
	if rows[1].Y != "47" || rows[0].Value != "200" {
		t.Errorf("layout %+v", rows[1])
	}
	if got := funnelRows([]ChartBar{{"Empty", 0}}); got[0].Width != "0" {
		t.Errorf("an empty funnel: %+v", got)
	}
}

func TestAdminFormatting(t *testing.T) {
	if got := MonthName("2019-03"); got != "March 2019" {
		t.Errorf("MonthName = %q", got)
	}
	if got := Int64(1234567); got != "1,234,567" {
		t.Errorf("Int64 = %q", got)
	}
	if got := Int64(-1234); got != "-1,234" {
		t.Errorf("Int64 = %q", got)
	}
	for _, f := range models.FlagsBySeverity() {
		if FlagLabel(f) == f || FlagExplanation(f) == "An unrecognised flag." {
			t.Errorf("flag %s has no words", f)
		}
	}
}
