package models_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// flagged creates a payout of maria's for a new friend through the facts behind flags.
func flagged(t *testing.T, db *modelstest.DB, friend string, flags ...string) modelstest.Fixture {
	t.Helper()
	return db.FlaggedPayoutFixture(t, friendOfMaria(friend), flags...)
}

func queueIDs(t *testing.T, db *modelstest.DB, f models.PayoutFilter) []int64 {
	t.Helper()
	page, err := db.Store.ReviewQueue(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, r := range page.Items {
		out = append(out, r.ID)
	}
	return out
}

func TestReviewQueueSortsByRiskThenOldestAndFiltersByFlagAndProgram(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		fast := flagged(t, db, "Ann Fast", models.FlagFast)
		none := flagged(t, db, "Bo None")
		client := flagged(t, db, "Cy Client", models.FlagFast, models.FlagReferrerIsClient)
		ip := flagged(t, db, "Di Sameip", models.FlagSameIP)
		fast2 := flagged(t, db, "Ed Fast", models.FlagFast)

		for _, c := range []struct {
			f    models.PayoutFilter
			want []int64
		}{
			{models.PayoutFilter{}, []int64{fast.Payout, none.Payout, client.Payout, ip.Payout, fast2.Payout}},
			{models.PayoutFilter{Sort: models.SortNewest}, []int64{fast2.Payout, ip.Payout, client.Payout, none.Payout, fast.Payout}},
			{models.PayoutFilter{Sort: models.SortRisk}, []int64{client.Payout, ip.Payout, fast.Payout, fast2.Payout, none.Payout}},
			{models.PayoutFilter{Flag: models.FlagFast}, []int64{fast.Payout, client.Payout, fast2.Payout}},
			{models.PayoutFilter{Flag: models.FlagFast, Sort: models.SortRisk}, []int64{client.Payout, fast.Payout, fast2.Payout}},
			{models.PayoutFilter{Flag: models.FlagSimilarEmail}, nil},
			{models.PayoutFilter{ProgramID: fast.Program.ID, Flag: models.FlagSameIP}, []int64{ip.Payout}},
			{models.PayoutFilter{ProgramID: fast.Program.ID + 100}, nil},
			{models.PayoutFilter{Search: "di.sameip@example.com"}, []int64{ip.Payout}},
			{models.PayoutFilter{Search: "MARIA@example.com", Sort: models.SortNewest, Paging: models.Paging{Page: 2, PerPage: 2}}, []int64{client.Payout, none.Payout}},
		} {
			if got := queueIDs(t, db, c.f); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%+v: %v, want %v", c.f, got, c.want)
			}
		}
		page, _ := db.Store.ReviewQueue(ctx, models.PayoutFilter{Flag: models.FlagFast, Paging: models.Paging{PerPage: 2}})
		if page.Total != 3 || page.Capped || !page.More || len(page.Items) != 2 {
			t.Errorf("flagged page: total %d capped %v more %v items %d", page.Total, page.Capped, page.More, len(page.Items))
		}
		for _, c := range []struct {
			f     models.PayoutFilter
			after int64
			want  int64
		}{
			{models.PayoutFilter{Sort: models.SortRisk}, client.Payout, ip.Payout},
			{models.PayoutFilter{Sort: models.SortRisk}, fast2.Payout, none.Payout},
			{models.PayoutFilter{Flag: models.FlagFast}, fast2.Payout, fast.Payout}, // the end: back to the first
			{models.PayoutFilter{Sort: models.SortNewest}, ip.Payout, client.Payout},
		} {
			if got, err := db.Store.NextPending(ctx, c.f, c.after); err != nil || got != c.want {
				t.Errorf("%+v after %d: %d %v, want %d", c.f, c.after, got, err, c.want)
			}
		}
		if _, err := db.Store.NextPending(ctx, models.PayoutFilter{Flag: models.FlagSameIP}, ip.Payout); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("the only one decided: %v, want ErrNotFound", err)
		}
		if _, err := db.Store.ReviewQueue(ctx, models.PayoutFilter{Flag: "nonsense"}); err == nil {
			t.Error("an unknown flag was accepted")
		}
		if _, err := db.Store.ReviewQueue(ctx, models.PayoutFilter{Sort: "sideways"}); err == nil {
			t.Error("an unknown sort was accepted")
		}
	})
}

// The database's risk column and FlagsBySeverity must say the same order.
func TestPayoutRiskAgreesWithFlagSeverity(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		check := func(f modelstest.Fixture, want string) {
			t.Helper()
			var risk int
			var flags string
			db.QueryRow(t, "SELECT risk, flags FROM payouts WHERE id = ?", []any{&risk, &flags}, f.Payout)
			if risk != models.FlagSeverity(want) {
				t.Errorf("flags %s: risk %d, want %d (%s)", flags, risk, models.FlagSeverity(want), want)
			}
		}
		// Each flag beside a less severe one (fast) ranks as itself.
		for i, flag := range []string{models.FlagReferrerIsClient, models.FlagSameIP, models.FlagSingleClient} {
			check(flagged(t, db, fmt.Sprintf("Friend Number%d", i), flag, models.FlagFast), flag)
		}
		check(flagged(t, db, "Friend Fast", models.FlagFast), models.FlagFast)
		check(flagged(t, db, "Friend Plain"), "")
		// A refund below the threshold adds below_threshold after the payout was made.
		refunded := flagged(t, db, "Friend Refunded", models.FlagFast)
		db.FixtureEarn(t, "friend.refunded@example.com", []modelstest.FixtureEarning{{AmountCents: -10000, ClientID: "cl_1"}}, []time.Time{db.Clock.Now()})
		check(refunded, models.FlagBelowThreshold)
	})
}

// The counter rows follow every insert and status change, whoever makes it.
func TestPayoutCountsFollowDecisionsAndPayment(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		admin := staff(t, db)
		a := pending(t, db, "Ann Lee")
		b := pending(t, db, "Bo Chen")
		pending(t, db, "Cy Diaz")
		if _, err := db.Store.Approve(ctx, admin, a.Payout); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Reject(ctx, admin, b.Payout, "You referred your own second account."); err != nil {
			t.Fatal(err)
		}
		counts, err := db.Store.PayoutCounts(ctx, a.Program.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[models.PayoutStatus]models.StatusTotal{
			models.PayoutPendingReview: {N: 1, Cents: 10000}, models.PayoutApproved: {N: 1, Cents: 10000},
			models.PayoutRejected: {N: 1, Cents: 10000},
		}
		if fmt.Sprint(counts) != fmt.Sprint(want) {
			t.Errorf("counts %v, want %v", counts, want)
		}
		var grouped int64
		db.QueryRow(t, "SELECT COUNT(*) FROM payouts WHERE status = 'approved'", []any{&grouped})
		if grouped != counts[models.PayoutApproved].N {
			t.Errorf("approved: counter %d, table %d", counts[models.PayoutApproved].N, grouped)
		}
	})
}
