package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestAdminReferralsShowExpiredAfterTheDeadline(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		q := pending(t, db, "Quinn Qualified")
		p := db.FixtureProgram(t)
		var code string
		db.QueryRow(t, "SELECT code FROM invitations WHERE referrer_id = ?", []any{&code}, q.Referrer.ID)
		if _, err := db.Store.SignUpFriend(ctx, models.FriendSignup{Name: "Reg Istered", Email: "reg@example.com", Password: "correct horse", Country: "US", Code: code}); err != nil {
			t.Fatal(err)
		}
		statuses := func(f models.ReferralFilter) map[string]models.ReferralStatus {
			page, err := db.Store.AdminReferrals(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]models.ReferralStatus{}
			for _, r := range page.Items {
				out[r.FriendName] = r.ShownStatus(db.Clock.Now())
			}
			return out
		}
		if got := fmt.Sprint(statuses(models.ReferralFilter{})); got != "map[Quinn Qualified:qualified Reg Istered:registered]" {
			t.Errorf("before the deadline: %s", got)
		}
		if got := fmt.Sprint(statuses(models.ReferralFilter{Search: "reg@"})); got != "map[Reg Istered:registered]" {
			t.Errorf("search: %s", got)
		}
		db.Clock.Set(p.Deadline.Add(time.Minute))
		if got := fmt.Sprint(statuses(models.ReferralFilter{})); got != "map[Quinn Qualified:qualified Reg Istered:expired]" {
			t.Errorf("after the deadline: %s", got)
		}
		if got := fmt.Sprint(statuses(models.ReferralFilter{Status: models.ReferralExpired})); got != "map[Reg Istered:expired]" {
			t.Errorf("expired filter: %s", got)
		}
		if got := statuses(models.ReferralFilter{Status: models.ReferralRegistered}); len(got) != 0 {
			t.Errorf("registered filter after the deadline: %v", got)
		}
		page, _ := db.Store.AdminReferrals(ctx, models.ReferralFilter{Status: models.ReferralQualified})
		if page.Total != 1 || page.Items[0].PayoutID == nil || *page.Items[0].PayoutStatus != models.PayoutPendingReview {
			t.Errorf("qualified referral's payout: %+v", page.Items)
		}
	})
}

func TestOutboxListsEmailsWithoutBodiesAndShowsOne(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		pending(t, db, "Sam Rivera")
		page, err := db.Store.Outbox(ctx, models.OutboxFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// Newest first: the friend qualified, the friend joined, maria was invited.
		if page.Total != 3 || page.Items[0].Kind != models.EmailFriendQualified || page.Items[1].Kind != models.EmailFriendJoined || page.Items[0].BodyText != "" {
			t.Fatalf("outbox %+v", page.Items)
		}
		if p, _ := db.Store.Outbox(ctx, models.OutboxFilter{Kind: models.EmailInvitation, Search: "MARIA"}); p.Total != 1 {
			t.Errorf("invitation to maria: %d", p.Total)
		}
		if p, _ := db.Store.Outbox(ctx, models.OutboxFilter{Status: models.EmailSent}); p.Total != 0 {
			t.Errorf("sent: %d", p.Total)
		}
		e, err := db.Store.OutboxEmail(ctx, page.Items[0].ID)
		if err != nil || e.Facts == nil || e.Recipient != "maria@example.com" {
			t.Errorf("email %+v, %v", e, err)
		}
		counts, _ := db.Store.OutboxCounts(ctx)
		if counts[models.EmailQueued] != 3 {
			t.Errorf("counts %v", counts)
		}
	})
}

func TestAuditLogFiltersByActionAndActor(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		f := pending(t, db, "Sam Rivera")
		if _, err := db.Store.Approve(ctx, staff(t, db), f.Payout); err != nil {
			t.Fatal(err)
		}
		all, err := db.Store.AuditLog(ctx, models.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if all.Total != 3 || all.Items[0].Action != "payout.approve" {
			t.Fatalf("log %+v", all.Items)
		}
		if p, _ := db.Store.AuditLog(ctx, models.AuditFilter{Action: "program.invite"}); p.Total != 1 {
			t.Errorf("program.invite: %d", p.Total)
		}
		if p, _ := db.Store.AuditLog(ctx, models.AuditFilter{Actor: "STAFF@"}); p.Total != 1 || p.Items[0].IP != "192.0.2.1" {
			t.Errorf("by staff: %+v", p.Items)
		}
		actions, _ := db.Store.AuditActions(ctx)
		if fmt.Sprint(actions) != "[payout.approve program.create program.invite]" {
			t.Errorf("actions %v", actions)
		}
	})
}
