package models_test

import (
	"context"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestOverviewAddsUpTheFunnelAndTheMoney(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		admin := staff(t, db)
		paid := approvedInMarch(t, db, 2)
		owed := pending(t, db, "Owen Owed")
		rejected := pending(t, db, "Rex Rejected")
		pending(t, db, "Pat Pending")
		user(t, db, models.NewUser{Email: "rita@example.com", Name: "Rita", Country: "US", TopRated: true})
		if _, err := db.Store.InviteProgram(ctx, admin, "customer-service"); err != nil {
			t.Fatal(err)
		}
		var code string
		db.QueryRow(t, "SELECT code FROM invitations WHERE referrer_id = (SELECT id FROM users WHERE email = 'rita@example.com')", []any{&code})
		for range 3 {
			if _, err := db.Store.CountClick(ctx, code); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Store.SignUpFriend(ctx, models.FriendSignup{Name: "Newbie", Email: "newbie@example.com", Password: "correct horse", Country: "US", Code: code}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Reject(ctx, admin, rejected.Payout, "fraud"); err != nil {
			t.Fatal(err)
		}
		db.Clock.Set(time.Date(2019, 4, 2, 18, 0, 0, 0, time.UTC))
		if res, err := db.Store.PayBatch(ctx, admin, "2019-03"); err != nil || len(res.Paid) != len(paid) {
			t.Fatalf("paid %d, %v", len(res.Paid), err)
		}
		if _, err := db.Store.Approve(ctx, admin, owed.Payout); err != nil { // joins April's batch
			t.Fatal(err)
		}

		got, err := db.Store.Overview(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := models.Totals{
			Invited: 2, Clicks: 3, SignedUp: 6, Earning: 5, Qualified: 5,
			PendingReview: 1, Approved: 3, Paid: 2, Rejected: 1,
			PendingCents: 10000, OwedCents: 10000, PaidCents: 20000, LedgerCents: 20000,
		}
		if got != want {
			t.Errorf("totals\n got %+v\nwant %+v", got, want)
		}
		// The weekly series adds up the same people and money, week by week.
		series, err := db.Store.WeeklySeries(ctx, 0, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC), db.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		var sum models.WeekPoint
		for _, w := range series {
			if w.Week.Weekday() != time.Monday {
				t.Errorf("week %s does not start on a Monday", w.Week)
			}
			sum.SignUps, sum.Qualified, sum.Paid, sum.PaidCents = sum.SignUps+w.SignUps, sum.Qualified+w.Qualified, sum.Paid+w.Paid, sum.PaidCents+w.PaidCents
		}
		if sum.SignUps != 6 || sum.Qualified != 5 || sum.Paid != 2 || sum.PaidCents != 20000 {
			t.Errorf("series adds up to %+v", sum)
		}
		if last := series[len(series)-1]; last.Paid != 2 || !last.Week.Equal(models.WeekStart(db.Clock.Now())) {
			t.Errorf("the credits were paid in the last week: %+v", last)
		}
	})
}
