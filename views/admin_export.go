package views

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"referrals/models"
)

// BatchCSV writes a batch for finance: one row per payout with its ids, referrer, amount,
// dates and ledger entry. Amounts are plain decimals (100.00) and times RFC 3339 in UTC, so
// a spreadsheet reads them as numbers and dates; text that a spreadsheet would run as a
// formula is neutralised (SpreadsheetText).
type BatchCSV struct {
	w *csv.Writer
}

// batchCSVHeader names the columns of the export.
var batchCSVHeader = []string{
	"payout_id", "referral_id", "referrer_id", "referrer_name", "referrer_email", "friend_name",
	"amount", "status", "approved_at", "paid_at", "due_date", "ledger_entry_id", "ledger_reference",
}

// NewBatchCSV starts an export on w with its header row.
func NewBatchCSV(w io.Writer) (*BatchCSV, error) {
	b := &BatchCSV{w: csv.NewWriter(w)}
	return b, b.w.Write(batchCSVHeader)
}

// Write adds one payout.
func (b *BatchCSV) Write(r models.PayoutRow) error {
	due := ""
	if d, ok := r.DueDate(); ok {
		due = d.Format("2006-01-02")
	}
	ledgerID, ledgerRef := "", ""
	if r.LedgerEntryID != nil {
		ledgerID, ledgerRef = strconv.FormatInt(*r.LedgerEntryID, 10), "payout:"+strconv.FormatInt(r.ID, 10)
	}
	return b.w.Write([]string{
		strconv.FormatInt(r.ID, 10),
		strconv.FormatInt(r.ReferralID, 10),
		strconv.FormatInt(r.ReferrerID, 10),
		SpreadsheetText(r.ReferrerName),
		SpreadsheetText(r.ReferrerEmail),
		SpreadsheetText(r.FriendName),
		models.FormatDollars(r.AmountCents),
		string(r.Status),
		csvTime(r.DecidedAt),
		csvTime(r.PaidAt),
		due,
		ledgerID,
		ledgerRef,
	})
}

// Flush writes out what is buffered and reports any error of the export.
func (b *BatchCSV) Flush() error {
	b.w.Flush()
	return b.w.Error()
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// SpreadsheetText neutralises text for a CSV cell: a spreadsheet runs a cell that starts
// with =, +, -, @, a tab or a carriage return as a formula, so such text gets a leading
// single quote and is shown as the text it is. Only text cells go through here: a
// negative amount must stay a number.
func SpreadsheetText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// The lists' exports (README, "The admin console"): one header each, dollars as 123.45, times RFC 3339 in
// UTC, flags joined by ";", and every text cell through SpreadsheetText.

// PayoutsCSVHeader names the columns of /admin/payouts.csv.
func PayoutsCSVHeader() []string {
	return []string{"payout_id", "program", "referrer_email", "referrer_name", "friend_email", "friend_name",
		"amount", "status", "flags", "created_at", "decided_at", "decided_by", "batch_month", "paid_at"}
}

// PayoutsCSVRow is one payout of /admin/payouts.csv.
func PayoutsCSVRow(r models.PayoutRow) []string {
	decidedBy, month := "", ""
	if r.DecidedByEmail != nil {
		decidedBy = *r.DecidedByEmail
	}
	if r.BatchMonth != nil {
		month = *r.BatchMonth
	}
	return []string{
		strconv.FormatInt(r.ID, 10),
		SpreadsheetText(r.ProgramSlug),
		SpreadsheetText(r.ReferrerEmail),
		SpreadsheetText(r.ReferrerName),
		SpreadsheetText(r.FriendEmail),
		SpreadsheetText(r.FriendName),
		models.FormatDollars(r.AmountCents),
		string(r.Status),
		strings.Join(r.Flags, ";"),
		csvTime(&r.CreatedAt),
		csvTime(r.DecidedAt),
		SpreadsheetText(decidedBy),
		month,
		csvTime(r.PaidAt),
	}
}

// ReferralsCSVHeader names the columns of /admin/referrals.csv.
func ReferralsCSVHeader() []string {
	return []string{"referral_id", "program", "referrer_email", "referrer_name", "friend_email", "friend_name",
		"registered_at", "counted", "status", "qualified_at"}
}

// ReferralsCSVRow is one referral of /admin/referrals.csv, with its status as shown now
// (expired after the deadline, R9).
func ReferralsCSVRow(r models.ReferralRow, now time.Time) []string {
	return []string{
		strconv.FormatInt(r.ID, 10),
		SpreadsheetText(r.ProgramSlug),
		SpreadsheetText(r.ReferrerEmail),
		SpreadsheetText(r.ReferrerName),
		SpreadsheetText(r.FriendEmail),
		SpreadsheetText(r.FriendName),
		csvTime(&r.RegisteredAt),
		models.FormatDollars(r.CountedCents),
		string(r.ShownStatus(now)),
		csvTime(r.QualifiedAt),
	}
}

// AuditCSVHeader names the columns of /admin/audit.csv.
func AuditCSVHeader() []string {
	return []string{"id", "at", "actor", "action", "target", "details", "ip"}
}

// AuditCSVRow is one event of /admin/audit.csv; details are the event's JSON as stored.
func AuditCSVRow(e models.AuditEvent) []string {
	return []string{
		strconv.FormatInt(e.ID, 10),
		csvTime(&e.CreatedAt),
		SpreadsheetText(e.Actor),
		SpreadsheetText(e.Action),
		SpreadsheetText(e.Target),
		SpreadsheetText(e.Details),
		SpreadsheetText(e.IP),
	}
}
