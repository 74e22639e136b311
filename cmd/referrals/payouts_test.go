package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestPayoutsPayPrintsWhatItPaidAndARerunPaysNothing(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		for _, friend := range []string{"sam", "priya"} {
			f := db.PendingPayoutFixture(t, modelstest.PendingPayout{ReferrerEmail: "maria@example.com", FriendEmail: friend + "@example.com", FriendName: strings.ToUpper(friend[:1]) + friend[1:]})
			if _, err := db.Store.Approve(ctx, models.CLIActor(), f.Payout); err != nil {
				t.Fatal(err)
			}
		}
		db.Clock.Set(time.Date(2019, 4, 2, 18, 0, 0, 0, time.UTC))
		env := envFor(db)
		code, out, errOut := referrals(t, env, "", "payouts", "pay", "--month", "2019-03")
		if code != 0 {
			t.Fatalf("exit %d: %q", code, errOut)
		}
		for _, want := range []string{"$100.00 to maria@example.com (Referral bonus - Sam)", "(Referral bonus - Priya)", "batch 2019-03: paid 2 payouts, $200.00"} {
			if !strings.Contains(out, want) {
				t.Errorf("output %q lacks %q", out, want)
			}
		}
		code, out, _ = referrals(t, env, "", "payouts", "pay", "--month", "2019-03")
		if code != 0 || !strings.Contains(out, "nothing to pay") {
			t.Errorf("rerun: exit %d, %q", code, out)
		}
		if n := db.Count(t, "ledger_entries", ""); n != 2 {
			t.Errorf("%d ledger entries, want 2", n)
		}
		if code, _, errOut := referrals(t, env, "", "payouts", "pay", "--month", "March"); code != 2 || !strings.Contains(errOut, "YYYY-MM") && !strings.Contains(errOut, "2019-03") {
			t.Errorf("bad month: exit %d, %q", code, errOut)
		}
	})
}
