package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// TestCounterRowsAgreeWithTheirTables goes through what writes invitations, emails,
// payouts, the ledger and webhook deliveries (inviting, clicks, a reminder, sign-ups, email delivery and its
// failure, decisions, a pay run, and a direct SQL change, as an operator might make) and
// then checks every counter row the admin console reads against a count of the table
// itself, on both databases.
func TestCounterRowsAgreeWithTheirTables(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		admin := staff(t, db)
		if _, err := db.Store.CreateWebhookEndpoint(ctx, admin, models.WebhookInput{URL: "https://203.0.113.9/hooks",
			Events: []string{"payout.approved", "payout.paid", "payout.rejected"}}); err != nil {
			t.Fatal(err)
		}
		march := approvedInMarch(t, db, 3)
		rejected := pending(t, db, "Rex Rejected")
		if _, err := db.Store.Reject(ctx, admin, rejected.Payout, "duplicate account"); err != nil {
			t.Fatal(err)
		}
		pending(t, db, "Pat Pending")
		var code string
		db.QueryRow(t, "SELECT code FROM invitations WHERE referrer_id = ?", []any{&code}, march[0].Referrer.ID)
		for range 3 {
			if _, err := db.Store.CountClick(ctx, code); err != nil {
				t.Fatal(err)
			}
		}
		db.Exec(t, "UPDATE invitations SET reminded_at = ? WHERE code = ?", db.Clock.Now(), code)

		// Delivery: one email sent, one failed, one failed and queued again.
		var ids []int64
		rows, err := db.Store.DB().Query("SELECT id FROM emails ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) < 3 {
			t.Fatalf("only %d emails queued", len(ids))
		}
		for i, outcome := range []models.EmailStatus{models.EmailSent, models.EmailFailed, models.EmailFailed} {
			if _, claimed, err := db.Store.ClaimEmail(ctx, ids[i]); err != nil || !claimed {
				t.Fatalf("claim %d: %v %v", ids[i], claimed, err)
			}
			if err := db.Store.FinishEmailAttempt(ctx, ids[i], outcome, "", nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Store.RetryEmail(ctx, admin, ids[2]); err != nil {
			t.Fatal(err)
		}

		db.Clock.Set(time.Date(2019, 4, 2, 18, 0, 0, 0, time.UTC))
		april := pending(t, db, "April Friend")
		if _, err := db.Store.Approve(ctx, admin, april.Payout); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.PayBatch(ctx, admin, "2019-03"); err != nil {
			t.Fatal(err)
		}
		// An operator moves a payout to another month by hand, and marks deliveries done:
		// the counters follow.
		db.Exec(t, "UPDATE payouts SET batch_month = '2019-05' WHERE id = ?", april.Payout)
		db.Exec(t, "UPDATE webhook_deliveries SET status = 'failed' WHERE id IN (SELECT MIN(id) FROM webhook_deliveries)")
		db.Exec(t, "UPDATE webhook_deliveries SET status = 'delivered', delivered_at = ? WHERE id IN (SELECT MAX(id) FROM webhook_deliveries)", db.Clock.Now())

		for _, c := range []struct{ name, counters, table string }{
			{"invitation_counts",
				"SELECT program_id, slot, invited, reminded, clicks FROM invitation_counts WHERE invited <> 0 OR reminded <> 0 OR clicks <> 0 ORDER BY 1, 2",
				"SELECT program_id, id % 16, COUNT(*), COUNT(reminded_at), SUM(clicks) FROM invitations GROUP BY 1, 2 ORDER BY 1, 2"},
			{"email_counts",
				"SELECT status, kind, n FROM email_counts WHERE n <> 0 ORDER BY 1, 2",
				"SELECT status, kind, COUNT(*) FROM emails GROUP BY 1, 2 ORDER BY 1, 2"},
			{"batch_counts",
				"SELECT batch_month, program_id, status, n, cents FROM batch_counts WHERE n <> 0 OR cents <> 0 ORDER BY 1, 2, 3",
				"SELECT batch_month, program_id, status, COUNT(*), SUM(amount_cents) FROM payouts WHERE batch_month IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"},
			{"ledger_counts",
				"SELECT kind, batch_month, n, cents FROM ledger_counts WHERE n <> 0 ORDER BY 1, 2",
				"SELECT le.kind, COALESCE(p.batch_month, ''), COUNT(*), SUM(le.amount_cents) FROM ledger_entries le LEFT JOIN payouts p ON p.id = le.payout_id GROUP BY 1, 2 ORDER BY 1, 2"},
			{"webhook_delivery_counts",
				"SELECT endpoint_id, status, n FROM webhook_delivery_counts WHERE n <> 0 ORDER BY 1, 2",
				"SELECT endpoint_id, status, COUNT(*) FROM webhook_deliveries GROUP BY 1, 2 ORDER BY 1, 2"},
		} {
			counters, table := rowsText(t, db, c.counters), rowsText(t, db, c.table)
			if counters != table {
				t.Errorf("%s:\n%s\nthe table holds:\n%s", c.name, counters, table)
			}
			if table == "" {
				t.Errorf("%s: the test wrote nothing it counts", c.name)
			}
		}

		// What the pages read from them.
		counts, err := db.Store.OutboxCounts(ctx)
		if err != nil || counts[models.EmailSent] != 1 || counts[models.EmailFailed] != 1 {
			t.Errorf("outbox counts %v, %v", counts, err)
		}
		batches, err := db.Store.Batches(ctx, models.Paging{})
		if err != nil || len(batches.Items) != 2 || batches.Total != 2 {
			t.Fatalf("batches %+v, %v", batches, err)
		}
		if b := batches.Items[1]; b.Month != "2019-03" || b.PaidCount != 3 || b.PaidCents != 30000 || !b.Reconciled() {
			t.Errorf("March batch %+v", b)
		}
		if b := batches.Items[0]; b.Month != "2019-05" || b.ApprovedCount != 1 || b.PaidCount != 0 {
			t.Errorf("May batch %+v", b)
		}
		hooks, err := db.Store.WebhookEndpoints(ctx, admin)
		if err != nil || len(hooks) != 1 || hooks[0].Failed != 1 || hooks[0].Delivered != 1 || hooks[0].Pending < 3 {
			t.Errorf("webhooks %+v, %v", hooks, err)
		}
		totals, err := db.Store.Overview(ctx, 0)
		if err != nil || totals.Clicks != 3 || totals.LedgerCents != 30000 || totals.Invited == 0 {
			t.Errorf("overview %+v, %v", totals, err)
		}
	})
}

// rowsText runs q and prints its rows, one a line.
func rowsText(t *testing.T, db *modelstest.DB, q string) string {
	t.Helper()
	var b strings.Builder
	for _, row := range queryStrings(t, db.Store.DB(), q) {
		fmt.Fprintln(&b, strings.Join(row, " "))
	}
	return b.String()
}
