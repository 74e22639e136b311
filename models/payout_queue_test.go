package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

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
		fast := pending(t, db, "Ann Fast", models.FlagFast)
		db.Clock.Advance(time.Hour)
		none := pending(t, db, "Bo None")
		db.Clock.Advance(time.Hour)
		client := pending(t, db, "Cy Client", models.FlagFast, models.FlagReferrerIsClient)
		db.Clock.Advance(time.Hour)
		ip := pending(t, db, "Di Sameip", models.FlagSameIP)
		db.Clock.Advance(time.Hour)
		fast2 := pending(t, db, "Ed Fast", models.FlagFast)

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
		for i, flag := range append(models.FlagsBySeverity(), "") {
			var flags []string
			if flag != "" {
				// A less severe flag beside it must not change its rank.
				flags = []string{flag, models.FlagFast}
			}
			f := pending(t, db, fmt.Sprintf("Friend Number%d", i), flags...)
			var risk int
			db.QueryRow(t, "SELECT risk FROM payouts WHERE id = ?", []any{&risk}, f.Payout)
			if want := models.FlagSeverity(flag); risk != want {
				t.Errorf("flags %v: risk %d, want %d", flags, risk, want)
			}
		}
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
