package main

import (
	"context"
	"fmt"

	"referrals/models"
	"referrals/views"
)

// payoutsPay pays one batch (R11) and prints each credit it wrote. A rerun pays only
// what is still unpaid, so after an interruption the same command finishes the job.
func (c *cli) payoutsPay(ctx context.Context, args []string) error {
	fs := flags("payouts pay")
	allowLocal := allowLocalhost(fs)
	month := fs.String("month", "", "the batch to pay, YYYY-MM")
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := models.ParseBatchMonth(*month); err != nil {
		return usageError{"payouts pay: --month must be a month like 2019-03"}
	}
	if err := c.cfg.refuseLocalLinks(*allowLocal); err != nil {
		return err
	}
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	// Each credit is printed once its transaction has committed, so what a run printed
	// before it was interrupted is exactly what it paid: the lines of a transaction in
	// one write, from a buffer reused for every transaction.
	var lines []byte
	res, err := store.PayBatchEach(ctx, models.CLIActor(), *month, func(paid []models.PaidPayout) {
		lines = lines[:0]
		for _, p := range paid {
			lines = fmt.Appendf(lines, "paid payout %d: %s to %s (Referral bonus - %s), ledger entry %d\n",
				p.PayoutID, views.Money(p.AmountCents), p.ReferrerEmail, p.FriendName, p.LedgerEntryID)
		}
		c.stdout.Write(lines)
	})
	if err != nil {
		return fmt.Errorf("payouts pay: %w; rerun the command to pay the rest", err)
	}
	if len(res.Paid) == 0 {
		fmt.Fprintf(c.stdout, "batch %s: nothing to pay\n", *month)
		return nil
	}
	fmt.Fprintf(c.stdout, "batch %s: paid %s, %s\n", *month, views.Plural(int64(len(res.Paid)), "payout", "payouts"), views.Money(res.PaidCents))
	return nil
}
