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
