package modelstest

import (
	"fmt"
	"testing"
	"time"

	"referrals/models"
)

// Fixtures for rows that the freelancer's pages read but other parts of the product
// write: counted earnings (R6-R8), payouts (R10), ledger credits (R11). They insert the
// rows directly, so the pages can be tested before and apart from those rules.

// FixtureCounted sets a referral's counted total as the earnings rules would, qualifying
// it (now) when the total reaches the standard $500 threshold.
func (db *DB) FixtureCounted(t testing.TB, referralID, cents int64) {
	t.Helper()
	if cents >= models.DefaultThresholdCents {
		db.Exec(t, "UPDATE referrals SET counted_cents = ?, status = 'qualified', qualified_at = ? WHERE id = ?", cents, db.Clock.Now(), referralID)
		return
	}
	db.Exec(t, "UPDATE referrals SET counted_cents = ?, status = 'earning' WHERE id = ?", cents, referralID)
}

// FixtureRejectReason is the reason FixturePayout gives a rejected payout.
const FixtureRejectReason = "The friend's client is the referrer's own client account."

// FixturePayout adds the $100 payout of a qualified referral in status: approved and paid
// ones in the 2019-03 batch, paid ones now, rejected ones with FixtureRejectReason.
func (db *DB) FixturePayout(t testing.TB, ref models.Referral, status models.PayoutStatus) int64 {
	t.Helper()
	var reason, month, paidAt any = "", nil, nil
	switch status {
	case models.PayoutRejected:
		reason = FixtureRejectReason
	case models.PayoutApproved:
		month = "2019-03"
	case models.PayoutPaid:
		month, paidAt = "2019-03", db.Clock.Now()
	}
	return db.InsertID(t, "INSERT INTO payouts (referral_id, program_id, referrer_id, amount_cents, status, reject_reason, batch_month, paid_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		ref.ID, ref.ProgramID, ref.ReferrerID, models.DefaultRewardCents, string(status), reason, month, paidAt, db.Clock.Now())
}

// FixtureLedgerCredit adds a referral credit (fee 0) to userID's ledger at at, as paying
// a batch would; payoutID may be nil for an entry tied to no payout.
func (db *DB) FixtureLedgerCredit(t testing.TB, userID int64, payoutID *int64, cents int64, description string, at time.Time) {
	t.Helper()
	ref := fmt.Sprintf("fixture:%d:%d", userID, at.UnixNano())
	if payoutID != nil {
		ref = fmt.Sprintf("payout:%d", *payoutID)
	}
	db.Exec(t, "INSERT INTO ledger_entries (user_id, payout_id, amount_cents, fee_cents, kind, description, reference, created_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?)",
		userID, payoutID, cents, string(models.LedgerReferralCredit), description, ref, at)
}

// FixtureFriends adds n friends referred through the invitation with code, named
// "Friend 000" onwards, signed up one minute apart from now, without the password
// hashing of real sign-ups.
func (db *DB) FixtureFriends(t testing.TB, code string, n int) {
	t.Helper()
	q := "SELECT id, program_id, referrer_id FROM invitations WHERE code = ?"
	if db.Store.Dialect() == models.Postgres {
		q = numberPlaceholders(q)
	}
	var invID, programID, referrerID int64
	if err := db.Store.DB().QueryRow(q, code).Scan(&invID, &programID, &referrerID); err != nil {
		t.Fatalf("invitation %s: %v", code, err)
	}
	for i := range n {
		at := db.Clock.Now().Add(time.Duration(i) * time.Minute)
		id := db.InsertID(t, "INSERT INTO users (role, email, name, country, created_at, updated_at) VALUES ('freelancer', ?, ?, 'US', ?, ?)",
			fmt.Sprintf("friend%03d@example.com", i), fmt.Sprintf("Friend %03d", i), at, at)
		db.Exec(t, "INSERT INTO referrals (program_id, invitation_id, referrer_id, friend_id, registered_at, status) VALUES (?, ?, ?, ?, ?, 'registered')",
			programID, invID, referrerID, id, at)
	}
}

// FixtureSignupsFrom records n accounts created now from ip, as n sign-ups would.
func (db *DB) FixtureSignupsFrom(t testing.TB, ip string, n int) {
	t.Helper()
	now := db.Clock.Now()
	for i := range n {
		id := db.InsertID(t, "INSERT INTO users (role, email, name, country, signup_ip, created_at, updated_at) VALUES ('freelancer', ?, 'Bulk', 'US', ?, ?, ?)",
			fmt.Sprintf("from-%s-%03d@example.com", ip, i), ip, now, now)
		db.Exec(t, "INSERT INTO user_ips (user_id, ip, first_seen, last_seen) VALUES (?, ?, ?, ?)", id, ip, now, now)
	}
}
