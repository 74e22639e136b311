package models_test

import (
	"context"
	"errors"
	"testing"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestOnlyOwnersManageWebhooks(t *testing.T) {
	db := modelstest.SQLite(t)
	ctx := context.Background()
	in := models.WebhookInput{URL: "https://203.0.113.9/hooks", Events: []string{"payout.paid"}}
	for _, role := range []models.Role{models.RoleReviewer, models.RoleFinance, models.RoleFreelancer} {
		actor := models.Actor{UserID: 1, Label: string(role), Role: role}
		if _, err := db.Store.CreateWebhookEndpoint(ctx, actor, in); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("%s created an endpoint: %v", role, err)
		}
		if _, err := db.Store.WebhookEndpoints(ctx, actor); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("%s listed endpoints: %v", role, err)
		}
		if err := db.Store.RetryWebhookDelivery(ctx, actor, 1, 1); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("%s retried a delivery: %v", role, err)
		}
		if err := db.Store.DisableWebhookEndpoint(ctx, actor, 1); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("%s disabled an endpoint: %v", role, err)
		}
	}
	if db.Count(t, "webhook_endpoints", "") != 0 {
		t.Error("an endpoint was created")
	}
}

func TestEventsAreRecordedOnlyForActiveEndpointsThatWantThem(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		// No endpoint: a sign-up records no event at all.
		db.PendingPayoutFixture(t, modelstest.PendingPayout{ReferrerEmail: "maria@example.com", FriendEmail: "sam@example.com"})
		if n := db.Count(t, "webhook_events", ""); n != 0 {
			t.Fatalf("%d events recorded with no endpoint", n)
		}
		owner := models.CLIActor()
		paid, err := db.Store.CreateWebhookEndpoint(ctx, owner, models.WebhookInput{URL: "https://203.0.113.9/paid", Events: []string{"payout.paid"}})
		if err != nil {
			t.Fatal(err)
		}
		all, err := db.Store.CreateWebhookEndpoint(ctx, owner, models.WebhookInput{URL: "https://203.0.113.9/all", Events: []string{
			"referral.registered", "referral.qualified", "payout.approved", "payout.rejected", "payout.paid"}})
		if err != nil {
			t.Fatal(err)
		}
		stopped, err := db.Store.CreateWebhookEndpoint(ctx, owner, models.WebhookInput{URL: "https://203.0.113.9/off", Events: []string{"referral.registered"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Store.DisableWebhookEndpoint(ctx, owner, stopped.ID); err != nil {
			t.Fatal(err)
		}
		f := db.PendingPayoutFixture(t, modelstest.PendingPayout{ReferrerEmail: "maria@example.com", FriendEmail: "ana@example.com"})
		if _, err := db.Store.Approve(ctx, owner, f.Payout); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.PayBatch(ctx, owner, "2019-03"); err != nil {
			t.Fatal(err)
		}
		// registered, qualified and approved go to "all"; paid goes to both.
		if n := db.Count(t, "webhook_events", ""); n != 4 {
			t.Errorf("%d events, want registered, qualified, approved and paid", n)
		}
		for ep, want := range map[int64]int64{all.ID: 4, paid.ID: 1, stopped.ID: 0} {
			if n := db.Count(t, "webhook_deliveries", "endpoint_id = ? AND status = 'pending' AND generation = 1", ep); n != want {
				t.Errorf("endpoint %d has %d deliveries, want %d", ep, n, want)
			}
		}
		if n := db.Count(t, "river_job", "kind = 'deliver_webhook'"); n != 5 {
			t.Errorf("%d delivery jobs, want one per delivery", n)
		}
		if n := db.Count(t, "webhook_events", "type = 'payout.paid' AND dedupe_key = ? AND message_id LIKE 'msg_%'", "payout.paid:payout:2"); n != 1 {
			t.Error("the payout.paid event is not keyed by its payout")
		}
	})
}
