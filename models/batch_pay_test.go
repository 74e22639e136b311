package models_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"referrals/jobs"
	"referrals/models"
	"referrals/models/modelstest"
)

// approvedInMarch creates n payouts for new friends of maria's and approves them now
// (in March 2019 unless the test moved the clock).
func approvedInMarch(t *testing.T, db *modelstest.DB, n int) []modelstest.Fixture {
	t.Helper()
	admin := staff(t, db)
	var out []modelstest.Fixture
	before := db.Count(t, "payouts", "")
	for i := range n {
		f := pending(t, db, fmt.Sprintf("Friend Number%d", before+int64(i)))
		if _, err := db.Store.Approve(context.Background(), admin, f.Payout); err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// ledgerTotal is the number and sum of the referral credits in the ledger.
func ledgerTotal(t *testing.T, db *modelstest.DB) (int64, int64) {
	t.Helper()
	var n, sum int64
	db.QueryRow(t, "SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM ledger_entries WHERE kind = 'referral_credit'", []any{&n, &sum})
	return n, sum
}

// assertPaidOnce checks R11's promise: every payout of fs is paid with exactly one credit
// of the reward and one "credit paid" email.
func assertPaidOnce(t *testing.T, db *modelstest.DB, fs []modelstest.Fixture) {
	t.Helper()
	for _, f := range fs {
		ref := fmt.Sprintf("payout:%d", f.Payout)
		if n := db.Count(t, "payouts", "id = ? AND status = 'paid' AND paid_at IS NOT NULL", f.Payout); n != 1 {
			t.Errorf("payout %d is not paid", f.Payout)
		}
		if n := db.Count(t, "ledger_entries", "payout_id = ? AND reference = ? AND amount_cents = 10000 AND fee_cents = 0", f.Payout, ref); n != 1 {
			t.Errorf("payout %d has %d credits, want 1", f.Payout, n)
		}
		if n := db.Count(t, "emails", "dedupe_key = ?", fmt.Sprintf("credit_paid:%d", f.Payout)); n != 1 {
			t.Errorf("payout %d has %d credit-paid emails, want 1", f.Payout, n)
		}
	}
	n, sum := ledgerTotal(t, db)
	if n != int64(len(fs)) || sum != int64(len(fs))*10000 {
		t.Errorf("ledger: %d credits totalling %d cents, want %d totalling %d", n, sum, len(fs), len(fs)*10000)
	}
}

func TestPayBatchCreditsEachApprovedPayoutOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		admin := staff(t, db)
		march := approvedInMarch(t, db, 3)
		stillPending := pending(t, db, "Pat Pending")
		rejected := pending(t, db, "Rex Rejected")
		if _, err := db.Store.Reject(ctx, admin, rejected.Payout, "duplicate account"); err != nil {
			t.Fatal(err)
		}
		db.Clock.Set(time.Date(2019, 4, 2, 18, 0, 0, 0, time.UTC))
		april := pending(t, db, "April Friend")
		if _, err := db.Store.Approve(ctx, admin, april.Payout); err != nil {
			t.Fatal(err)
		}

		res, err := db.Store.PayBatch(ctx, admin, "2019-03")
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Paid) != 3 || res.PaidCents != 30000 {
			t.Fatalf("paid %d for %d cents, want 3 for 30000", len(res.Paid), res.PaidCents)
		}
		if res.Paid[0].ReferrerEmail != "maria@example.com" || res.Paid[0].FriendName != "Friend Number0" || res.Paid[0].LedgerEntryID == 0 {
			t.Errorf("first paid %+v", res.Paid[0])
		}
		assertPaidOnce(t, db, march)

		// The ledger rows carry what the referrer's transactions page shows.
		var desc string
		var fee int64
		var created time.Time
		db.QueryRow(t, "SELECT description, fee_cents, created_at FROM ledger_entries WHERE payout_id = ?", []any{&desc, &fee, &created}, march[1].Payout)
		if desc != "Referral bonus - Friend Number1" || fee != 0 || !created.Equal(db.Clock.Now()) {
			t.Errorf("ledger entry: %q, fee %d, at %v", desc, fee, created)
		}
		if n := db.CountWritten(t, func(e modelstest.WrittenEmail) bool { return strings.Contains(e.Content.Subject, "$100.00") },
			"kind = 'credit_paid' AND recipient = 'maria@example.com'"); n != 3 {
			t.Errorf("%d credit-paid emails to maria, want 3", n)
		}
		for _, f := range []modelstest.Fixture{stillPending, rejected, april} {
			if n := db.Count(t, "ledger_entries", "payout_id = ?", f.Payout); n != 0 {
				t.Errorf("payout %d outside the batch was credited", f.Payout)
			}
		}

		again, err := db.Store.PayBatch(ctx, admin, "2019-03")
		if err != nil || len(again.Paid) != 0 {
			t.Fatalf("rerun paid %d, %v; want nothing", len(again.Paid), err)
		}
		assertPaidOnce(t, db, march)
		if n := db.Count(t, "audit_events", "action = 'batch.pay' AND target = 'batch:2019-03'"); n != 2 {
			t.Errorf("%d audited pay runs, want 2", n)
		}
		if n := db.Count(t, "audit_events", "action = 'payout.pay'"); n != 3 {
			t.Errorf("%d audited payments, want 3", n)
		}
		// Each payment's record says by whom, what and which credit, as the audit log shows it.
		var actor, details string
		var actorID *int64
		db.QueryRow(t, "SELECT actor_id, actor, details FROM audit_events WHERE action = 'payout.pay' AND target = ?", []any{&actorID, &actor, &details},
			fmt.Sprintf("payout:%d", march[1].Payout))
		want := fmt.Sprintf(`{"amount_cents":10000,"batch_month":"2019-03","ledger_entry_id":%d}`, res.Paid[1].LedgerEntryID)
		if actorID == nil || *actorID != admin.UserID || actor != admin.Label || details != want {
			t.Errorf("payment audited as %v %q %s, want %d %q %s", actorID, actor, details, admin.UserID, admin.Label, want)
		}
		if _, err := db.Store.PayBatch(ctx, admin, "March"); err == nil {
			t.Error("a malformed month was paid")
		}
	})
}

// failingJobs queues email deliveries like the real queue until it has queued `after`
// of them, then fails: a pay run that breaks between two payouts (or, with onFail, is
// stopped there).
type failingJobs struct {
	models.Jobs
	mu     sync.Mutex
	after  int
	onFail func()
}

func (f *failingJobs) EnqueueEmails(ctx context.Context, tx *sql.Tx, ids []int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(ids) > f.after {
		if f.onFail != nil {
			f.onFail()
			return f.Jobs.EnqueueEmails(ctx, tx, ids)
		}
		return errors.New("job queue crashed")
	}
	f.after -= len(ids)
	return f.Jobs.EnqueueEmails(ctx, tx, ids)
}

// storeWith opens a second Store on db's database with another job queue.
func storeWith(t *testing.T, db *modelstest.DB, queue models.Jobs) *models.Store {
	t.Helper()
	s, err := models.Open(context.Background(), models.Options{DatabaseURL: db.URL, DataDir: db.DataDir, Clock: db.Clock, Jobs: queue})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// realQueue is the job queue of db's database.
func realQueue(t *testing.T, db *modelstest.DB) models.Jobs {
	t.Helper()
	q, err := jobs.NewQueue(db.Store.Dialect())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestPayRunKilledMidwayThenRerunPaysEachPayoutOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		admin := staff(t, db)
		march := approvedInMarch(t, db, 5)
		db.Clock.Set(time.Date(2019, 4, 3, 18, 0, 0, 0, time.UTC))

		// Two payouts per transaction; the fourth email's delivery job fails: the first chunk (two
		// payouts) has committed, the second breaks midway and is undone whole.
		broken := storeWith(t, db, &failingJobs{Jobs: realQueue(t, db), after: 3})
		broken.SetPayChunk(2)
		res, err := broken.PayBatch(ctx, admin, "2019-03")
		if err == nil {
			t.Fatal("the broken run reported success")
		}
		if len(res.Paid) != 2 || res.Paid[0].PayoutID != march[0].Payout || res.Paid[1].PayoutID != march[1].Payout {
			t.Fatalf("the broken run reported %+v paid, want the first chunk's two payouts", res.Paid)
		}
		assertPaidOnce(t, db, march[:2])
		if n := db.Count(t, "payouts", "status = 'approved'"); n != 3 {
			t.Fatalf("%d payouts left approved, want 3", n)
		}
		if n := db.Count(t, "emails", "kind = 'credit_paid'"); n != 2 {
			t.Fatalf("%d credit-paid emails, want 2", n)
		}

		rerun, err := db.Store.PayBatch(ctx, admin, "2019-03")
		if err != nil || len(rerun.Paid) != 3 {
			t.Fatalf("rerun paid %d, %v; want the 3 left", len(rerun.Paid), err)
		}
		assertPaidOnce(t, db, march)
	})
}

func TestPayRunCancelledInsideAPaymentLosesNothing(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		admin := staff(t, db)
		march := approvedInMarch(t, db, 4)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// One payout per transaction; the process is stopped while the second payment's
		// transaction is open.
		broken := storeWith(t, db, &failingJobs{Jobs: realQueue(t, db), after: 1, onFail: cancel})
		broken.SetPayChunk(1)
		res, err := broken.PayBatch(ctx, admin, "2019-03")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled run: %v, want context.Canceled", err)
		}
		if len(res.Paid) != 1 || res.Paid[0].PayoutID != march[0].Payout {
			t.Fatalf("the cancelled run reported %+v paid, want the first payout", res.Paid)
		}
		assertPaidOnce(t, db, march[:1])
		if n := db.Count(t, "payouts", "status = 'approved'"); n != 3 {
			t.Fatalf("%d payouts left approved, want 3", n)
		}
		if _, err := db.Store.PayBatch(context.Background(), admin, "2019-03"); err != nil {
			t.Fatal(err)
		}
		assertPaidOnce(t, db, march)
	})
}

func TestConcurrentPayRunsPayEachPayoutOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		admin := staff(t, db)
		march := approvedInMarch(t, db, 8)
		var mu sync.Mutex
		total := 0
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				res, err := db.Store.PayBatch(context.Background(), admin, "2019-03")
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += len(res.Paid)
				mu.Unlock()
			})
		}
		wg.Wait()
		if total != 8 {
			t.Fatalf("the runs reported %d payments together, want 8", total)
		}
		assertPaidOnce(t, db, march)
	})
}

func TestBatchesAddUpAndReconcileWithTheLedger(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		admin := staff(t, db)
		approvedInMarch(t, db, 2)
		if _, err := db.Store.PayBatch(ctx, admin, "2019-03"); err != nil {
			t.Fatal(err)
		}
		db.Clock.Set(time.Date(2019, 3, 20, 18, 0, 0, 0, time.UTC))
		approvedInMarch(t, db, 1) // approved later in March: waits for the next run
		db.Clock.Set(time.Date(2019, 4, 10, 18, 0, 0, 0, time.UTC))
		april := pending(t, db, "April Friend")
		if _, err := db.Store.Approve(ctx, admin, april.Payout); err != nil {
			t.Fatal(err)
		}

		page, err := db.Store.Batches(ctx, models.Paging{})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 2 || len(page.Items) != 2 || page.Items[0].Month != "2019-04" || page.Items[1].Month != "2019-03" {
			t.Fatalf("batches %+v", page)
		}
		m := page.Items[1]
		if m.ApprovedCount != 1 || m.ApprovedCents != 10000 || m.PaidCount != 2 || m.PaidCents != 20000 ||
			m.TotalCount() != 3 || m.TotalCents() != 30000 || m.LedgerCents != 20000 || !m.Reconciled() {
			t.Errorf("March batch %+v", m)
		}
		if m.DueDate.Format("2006-01-02") != "2019-04-05" {
			t.Errorf("March due %v, want 2019-04-05", m.DueDate)
		}
		// April 10 is after April 5: March's unpaid payout is overdue; April's batch is not.
		if m.Open(db.Clock.Now()) || !page.Items[0].Open(db.Clock.Now()) {
			t.Errorf("open: March %v, April %v", m.Open(db.Clock.Now()), page.Items[0].Open(db.Clock.Now()))
		}
		if !m.Overdue(db.Clock.Now()) || page.Items[0].Overdue(db.Clock.Now()) {
			t.Errorf("overdue: March %v, April %v", m.Overdue(db.Clock.Now()), page.Items[0].Overdue(db.Clock.Now()))
		}

		d, err := db.Store.Batch(ctx, "2019-03", models.Paging{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Payouts.Total != 3 || d.Payouts.Items[0].Status != models.PayoutApproved || d.Payouts.Items[1].LedgerEntryID == nil {
			t.Errorf("March payouts %+v", d.Payouts)
		}
		if _, err := db.Store.Batch(ctx, "2019-3", models.Paging{}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("malformed month: %v", err)
		}
		empty, err := db.Store.Batch(ctx, "2018-01", models.Paging{})
		if err != nil || empty.TotalCount() != 0 {
			t.Errorf("empty batch %+v, %v", empty, err)
		}
	})
}
