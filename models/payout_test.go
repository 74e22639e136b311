package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// staff is an admin acting from the web.
func staff(t *testing.T, db *modelstest.DB) models.Actor {
	t.Helper()
	u, err := db.Store.UserByEmail(context.Background(), "staff@example.com")
	if err != nil {
		u = user(t, db, models.NewUser{Email: "staff@example.com", Name: "Avery Admin", Country: "US", Role: models.RoleOwner})
	}
	return models.StaffActor(u, "192.0.2.1")
}

// pending creates a payout pending review, without flags, for a new friend of maria.
func pending(t *testing.T, db *modelstest.DB, friend string) modelstest.Fixture {
	t.Helper()
	return db.PendingPayoutFixture(t, friendOfMaria(friend))
}

// friendOfMaria describes a new friend of maria's whose payout has no flags.
func friendOfMaria(friend string) modelstest.PendingPayout {
	return modelstest.PendingPayout{
		ReferrerEmail: "maria@example.com",
		FriendEmail:   strings.ToLower(strings.ReplaceAll(friend, " ", ".")) + "@example.com",
		FriendName:    friend,
	}
}

func payoutStatus(t *testing.T, db *modelstest.DB, id int64) models.PayoutDetail {
	t.Helper()
	d, err := db.Store.Payout(context.Background(), id, models.Paging{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestApprovalJoinsTheBatchOfTheMonthInTheProgramsTimeZone(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		f := pending(t, db, "Sam Rivera")
		admin := staff(t, db)
		// 05:00 UTC on April 1 is 10 PM on March 31 in Los Angeles, the program's zone.
		db.Clock.Set(time.Date(2019, 4, 1, 5, 0, 0, 0, time.UTC))
		p, err := db.Store.Approve(context.Background(), admin, f.Payout)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != models.PayoutApproved || p.BatchMonth == nil || *p.BatchMonth != "2019-03" {
			t.Fatalf("approved payout: status %s, batch %v; want approved in 2019-03", p.Status, p.BatchMonth)
		}
		if p.DecidedBy == nil || *p.DecidedBy != admin.UserID || p.DecidedAt == nil || !p.DecidedAt.Equal(db.Clock.Now()) {
			t.Errorf("decided by %v at %v", p.DecidedBy, p.DecidedAt)
		}
		if n := db.Count(t, "audit_events", "action = 'payout.approve' AND target = ? AND actor = 'staff@example.com' AND ip = '192.0.2.1'", fmt.Sprintf("payout:%d", f.Payout)); n != 1 {
			t.Errorf("%d audit events for the approval, want 1", n)
		}
		d := payoutStatus(t, db, f.Payout)
		if due, ok := d.DueDate(); !ok || due.Format("2006-01-02") != "2019-04-05" {
			t.Errorf("due %v %v, want 2019-04-05", due, ok)
		}
		if d.DecidedByEmail == nil || *d.DecidedByEmail != "staff@example.com" {
			t.Errorf("decided by email %v", d.DecidedByEmail)
		}
		if n := db.CountWritten(t, func(e modelstest.WrittenEmail) bool { return strings.Contains(e.Content.Text, "by Apr 5, 2019") }, "kind = 'credit_approved'"); n != 1 {
			t.Errorf("%d approval emails with the due date, want 1", n)
		}
	})
}

func TestPayoutApprovedTwiceIsAlreadyDecided(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		f := pending(t, db, "Sam Rivera")
		admin := staff(t, db)
		if _, err := db.Store.Approve(ctx, admin, f.Payout); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(40 * 24 * time.Hour)
		if _, err := db.Store.Approve(ctx, admin, f.Payout); !errors.Is(err, models.ErrAlreadyDecided) {
			t.Fatalf("second approval: %v, want ErrAlreadyDecided", err)
		}
		if _, err := db.Store.Reject(ctx, admin, f.Payout, "changed my mind"); !errors.Is(err, models.ErrAlreadyDecided) {
			t.Fatalf("rejection after approval: %v, want ErrAlreadyDecided", err)
		}
		d := payoutStatus(t, db, f.Payout)
		if d.Status != models.PayoutApproved || *d.BatchMonth != "2019-03" || d.RejectReason != "" {
			t.Errorf("the later decisions changed the payout: %s %v %q", d.Status, *d.BatchMonth, d.RejectReason)
		}
		if n := db.Count(t, "audit_events", "action LIKE 'payout.%'"); n != 1 {
			t.Errorf("%d decision audit events, want 1", n)
		}
		if _, err := db.Store.Approve(ctx, admin, 9999); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown payout: %v, want ErrNotFound", err)
		}
	})
}

func TestRejectionNeedsAReason(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		f := pending(t, db, "Sam Rivera")
		admin := staff(t, db)
		for _, bad := range []string{"", "   \n ", strings.Repeat("x", 501), "bell\a"} {
			_, err := db.Store.Reject(ctx, admin, f.Payout, bad)
			if fe, ok := models.AsFieldErrors(err); !ok || fe["reason"] == "" {
				t.Errorf("reason %q: %v, want a field error on reason", bad, err)
			}
		}
		if d := payoutStatus(t, db, f.Payout); d.Status != models.PayoutPendingReview || db.Count(t, "audit_events", "action = 'payout.reject'") != 0 {
			t.Fatalf("a refused rejection changed something: %s", d.Status)
		}
		p, err := db.Store.Reject(ctx, admin, f.Payout, "  Friend is the referrer's second account.\n ")
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != models.PayoutRejected || p.RejectReason != "Friend is the referrer's second account." || p.BatchMonth != nil {
			t.Errorf("rejected payout %+v", p)
		}
		if n := db.Count(t, "audit_events", "action = 'payout.reject' AND details LIKE '%second account%'"); n != 1 {
			t.Errorf("%d audit events with the reason, want 1", n)
		}
		if n := db.CountWritten(t, func(e modelstest.WrittenEmail) bool { return strings.Contains(e.Content.Text, "second account") }, "kind = 'credit_rejected'"); n != 1 {
			t.Errorf("%d rejection emails with the reason, want 1", n)
		}
		if _, err := db.Store.Approve(ctx, admin, f.Payout); !errors.Is(err, models.ErrAlreadyDecided) {
			t.Errorf("approval after rejection: %v", err)
		}
	})
}

func TestTwentyConcurrentApprovalsMakeOneDecision(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		f := pending(t, db, "Sam Rivera")
		admin := staff(t, db)
		var mu sync.Mutex
		approved, already := 0, 0
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				_, err := db.Store.Approve(context.Background(), admin, f.Payout)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					approved++
				case errors.Is(err, models.ErrAlreadyDecided):
					already++
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if approved != 1 || already != 19 {
			t.Fatalf("%d approved, %d already decided; want 1 and 19", approved, already)
		}
		if n := db.Count(t, "audit_events", "target = ?", fmt.Sprintf("payout:%d", f.Payout)); n != 1 {
			t.Fatalf("%d audit events, want 1", n)
		}
		if n := db.Count(t, "emails", "kind IN ('credit_approved', 'credit_rejected')"); n != 1 {
			t.Fatalf("%d decision emails, want 1", n)
		}
	})
}

func TestConcurrentApprovalsAndRejectionsLeaveTheFirstDecision(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		f := pending(t, db, "Sam Rivera")
		admin := staff(t, db)
		var mu sync.Mutex
		var won []string
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				var err error
				verb := "approve"
				if i%2 == 0 {
					_, err = db.Store.Approve(context.Background(), admin, f.Payout)
				} else {
					verb = "reject"
					_, err = db.Store.Reject(context.Background(), admin, f.Payout, "duplicate account")
				}
				if err != nil && !errors.Is(err, models.ErrAlreadyDecided) {
					t.Error(err)
				}
				if err == nil {
					mu.Lock()
					won = append(won, verb)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("%d decisions took effect (%v), want 1", len(won), won)
		}
		d := payoutStatus(t, db, f.Payout)
		if (won[0] == "approve") != (d.Status == models.PayoutApproved) {
			t.Errorf("the %s won but the payout is %s", won[0], d.Status)
		}
		if n := db.Count(t, "audit_events", "target = ?", fmt.Sprintf("payout:%d", f.Payout)); n != 1 {
			t.Errorf("%d audit events, want 1", n)
		}
	})
}

func TestApproveManyReportsEachPayoutsOutcome(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		a, b, c := pending(t, db, "Ann Lee"), pending(t, db, "Bo Chen"), pending(t, db, "Cy Diaz")
		admin := staff(t, db)
		if _, err := db.Store.Reject(ctx, admin, c.Payout, "fraud"); err != nil {
			t.Fatal(err)
		}
		out, err := db.Store.ApproveMany(ctx, admin, []int64{a.Payout, c.Payout, b.Payout, a.Payout, 777})
		if err != nil {
			t.Fatal(err)
		}
		want := []models.DecisionOutcome{{a.Payout, nil}, {c.Payout, models.ErrAlreadyDecided}, {b.Payout, nil}, {777, models.ErrNotFound}}
		if len(out) != len(want) {
			t.Fatalf("outcomes %v, want %v", out, want)
		}
		for i := range want {
			if out[i].PayoutID != want[i].PayoutID || !errors.Is(out[i].Err, want[i].Err) || (want[i].Err == nil) != (out[i].Err == nil) {
				t.Errorf("outcome %d: %+v, want %+v", i, out[i], want[i])
			}
		}
		if n := db.Count(t, "payouts", "status = 'approved'"); n != 2 {
			t.Errorf("%d approved, want 2", n)
		}
		if n := db.Count(t, "audit_events", "action = 'payout.approve'"); n != 2 {
			t.Errorf("%d approval audit events, want 2", n)
		}
		if _, err := db.Store.ApproveMany(ctx, admin, make([]int64, models.MaxBulkDecisions+1)); err == nil {
			t.Error("an oversized bulk approval was accepted")
		}
	})
}

func TestReviewQueueFiltersSearchesAndPages(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		admin := staff(t, db)
		// Ann signs up from an address Maria signed in from and qualifies within hours.
		ann := friendOfMaria("Ann Lee")
		ann.ReferrerIP, ann.FriendIP, ann.QualifyIn = "198.51.100.7", "198.51.100.7", time.Hour
		first := db.PendingPayoutFixture(t, ann)
		db.Clock.Advance(time.Hour)
		second := pending(t, db, "Bo Chen")
		db.Clock.Advance(time.Hour)
		third := db.PendingPayoutFixture(t, modelstest.PendingPayout{
			ReferrerEmail: "rita@example.com", ReferrerName: "Rita Gomez", FriendEmail: "cy@example.com", FriendName: "Cy 50%_Diaz",
		})
		if _, err := db.Store.Approve(ctx, admin, second.Payout); err != nil {
			t.Fatal(err)
		}

		ids := func(p models.Page[models.PayoutRow]) []int64 {
			var out []int64
			for _, r := range p.Items {
				out = append(out, r.ID)
			}
			return out
		}
		q, err := db.Store.ReviewQueue(ctx, models.PayoutFilter{Status: models.PayoutPendingReview})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids(q)) != fmt.Sprint([]int64{first.Payout, third.Payout}) || q.Total != 2 {
			t.Fatalf("pending queue %v (total %d), want oldest first: %d, %d", ids(q), q.Total, first.Payout, third.Payout)
		}
		r := q.Items[0]
		if r.ReferrerName != "Maria Santos" || r.ReferrerEmail != "maria@example.com" || r.FriendName != "Ann Lee" ||
			r.AmountCents != 10000 || r.QualifiedAt == nil || r.CountedCents != 50000 || fmt.Sprint(r.Flags) != "[same_ip fast]" {
			t.Errorf("row %+v", r)
		}
		all, _ := db.Store.ReviewQueue(ctx, models.PayoutFilter{})
		if all.Total != 3 || fmt.Sprint(ids(all)) != fmt.Sprint([]int64{first.Payout, second.Payout, third.Payout}) {
			t.Errorf("all payouts %v: want every status, oldest first", ids(all))
		}
		for search, want := range map[string][]int64{
			"RITA":             {third.Payout},
			"maria@":           {first.Payout, second.Payout},
			"bo chen":          {second.Payout},
			"50%_":             {third.Payout},
			"cy@example":       {third.Payout},
			"nobody-like-this": nil,
		} {
			got, err := db.Store.ReviewQueue(ctx, models.PayoutFilter{Search: search})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(ids(got)) != fmt.Sprint(want) {
				t.Errorf("search %q: %v, want %v", search, ids(got), want)
			}
		}
		page2, _ := db.Store.ReviewQueue(ctx, models.PayoutFilter{Paging: models.Paging{Page: 2, PerPage: 2}})
		if page2.Total != 3 || len(page2.Items) != 1 {
			t.Errorf("page 2 of 2: %d items of %d", len(page2.Items), page2.Total)
		}
		counts, _ := db.Store.PayoutCounts(ctx, 0)
		if counts[models.PayoutPendingReview].N != 2 || counts[models.PayoutApproved].N != 1 || counts[models.PayoutApproved].Cents != 10000 {
			t.Errorf("counts %v", counts)
		}
	})
}

func TestPayoutDetailShowsTheEarningsBehindIt(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		f := db.PendingPayoutFixture(t, modelstest.PendingPayout{
			ReferrerEmail: "maria@example.com", FriendEmail: "sam@example.com", FriendName: "Sam Rivera",
			Earnings: []modelstest.FixtureEarning{{AmountCents: 45000, ClientID: "cl_a"}, {AmountCents: -5000, ClientID: "cl_a"}, {AmountCents: 10000, ClientID: "cl_b"}},
		})
		if _, err := db.Store.Approve(context.Background(), staff(t, db), f.Payout); err != nil {
			t.Fatal(err)
		}
		d, err := db.Store.Payout(context.Background(), f.Payout, models.Paging{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Earnings.Total != 3 || d.Earnings.Items[0].AmountCents != 45000 || d.Earnings.Items[1].AmountCents != -5000 ||
			d.Earnings.Items[2].ClientID != "cl_b" || d.Earnings.Items[0].Category != "Customer Service" {
			t.Errorf("earnings %+v", d.Earnings)
		}
		if len(d.History) != 1 || d.History[0].Action != "payout.approve" {
			t.Errorf("history %+v", d.History)
		}
		if _, err := db.Store.Payout(context.Background(), 424242, models.Paging{}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("unknown payout: %v", err)
		}
	})
}

func TestRejectManyNeedsOneReasonAndDecidesEachOnce(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		admin := staff(t, db)
		sam, priya := pending(t, db, "Sam Rivera"), pending(t, db, "Priya Patel")
		if _, err := db.Store.RejectMany(ctx, admin, []int64{sam.Payout, priya.Payout}, " "); err == nil {
			t.Fatal("a bulk rejection without a reason was accepted")
		}
		if n := db.Count(t, "payouts", "status = 'pending_review'"); n != 2 {
			t.Fatalf("%d pending after a refused rejection, want 2", n)
		}
		if _, err := db.Store.Approve(ctx, admin, priya.Payout); err != nil {
			t.Fatal(err)
		}
		out, err := db.Store.RejectMany(ctx, admin, []int64{sam.Payout, priya.Payout, sam.Payout}, "Same household.")
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 2 || out[0].Err != nil || !errors.Is(out[1].Err, models.ErrAlreadyDecided) {
			t.Fatalf("outcomes %+v", out)
		}
	})
}
