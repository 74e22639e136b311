package models

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"referrals/netguard"
)

// Outgoing webhooks (Standard Webhooks 1.0) tell the marketplace what happened: a friend
// registered (grant their Freelancer Plus), a referral qualified, a payout was approved,
// rejected or paid (credit the referrer's account, once per ledger reference).
//
// Owners register endpoints. Each event is recorded in the transaction of the change
// that causes it (as emails are), with one delivery per active endpoint that wants its
// type and one River job per delivery, so an event exists exactly when its change
// commits, and is delivered at least once: the job retries on any answer but 2xx, with
// backoff, for a day (package jobs). Every attempt carries the same webhook-id (the
// event's MessageID), so a receiver drops duplicates by it.

// WebhookEventType names an event.
type WebhookEventType string

const (
	EventReferralRegistered WebhookEventType = "referral.registered"
	EventReferralQualified  WebhookEventType = "referral.qualified"
	EventPayoutApproved     WebhookEventType = "payout.approved"
	EventPayoutRejected     WebhookEventType = "payout.rejected"
	EventPayoutPaid         WebhookEventType = "payout.paid"
)

// WebhookEventTypes lists every event type, in the order of a referral's life.
func WebhookEventTypes() []WebhookEventType {
	return []WebhookEventType{EventReferralRegistered, EventReferralQualified, EventPayoutApproved, EventPayoutRejected, EventPayoutPaid}
}

// WebhookEndpointStatus says whether an endpoint receives events.
type WebhookEndpointStatus string

const (
	WebhookActive   WebhookEndpointStatus = "active"
	WebhookDisabled WebhookEndpointStatus = "disabled"
)

// WebhookEndpoint is an address that receives events, signed with its secret.
type WebhookEndpoint struct {
	ID     int64
	URL    string             `gorm:"column:url"`
	Events []WebhookEventType `gorm:"serializer:json"`
	// Secret is whsec_ and the base64 of the signing key. It is shown to the owner once,
	// when the endpoint is made, and sent nowhere else.
	Secret string
	Status WebhookEndpointStatus
	// FailingSince is when the first failed attempt since the last delivery happened.
	FailingSince   *time.Time
	DisabledAt     *time.Time
	DisabledReason string
	CreatedBy      *int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Wants reports whether the endpoint receives events of type t.
func (e WebhookEndpoint) Wants(t WebhookEventType) bool { return slices.Contains(e.Events, t) }

// WebhookEvent is one event as every endpoint receives it.
type WebhookEvent struct {
	ID int64
	// MessageID is the webhook-id header: the same on every attempt at every endpoint.
	MessageID string
	Type      WebhookEventType
	// Payload is the exact body sent: {"type":…,"timestamp":…,"data":{…}}.
	Payload   string
	DedupeKey string
	CreatedAt time.Time
}

// WebhookDeliveryStatus is where one event is in reaching one endpoint.
type WebhookDeliveryStatus string

const (
	// WebhookPending waits for its next attempt.
	WebhookPending WebhookDeliveryStatus = "pending"
	// WebhookDelivered: the endpoint answered 2xx.
	WebhookDelivered WebhookDeliveryStatus = "delivered"
	// WebhookFailed will not be tried again unless an owner retries it: a day of
	// failures, or the endpoint was disabled. LastError says which.
	WebhookFailed WebhookDeliveryStatus = "failed"
)

// WebhookDeliveryStatuses lists every status.
func WebhookDeliveryStatuses() []WebhookDeliveryStatus {
	return []WebhookDeliveryStatus{WebhookPending, WebhookDelivered, WebhookFailed}
}

// WebhookDelivery is one event on its way to one endpoint.
type WebhookDelivery struct {
	ID         int64
	EventID    int64
	EndpointID int64
	Status     WebhookDeliveryStatus
	// Generation counts the owner's manual retries: each makes a new job, and only the
	// job of the current generation records an outcome.
	Generation     int
	Attempts       int
	LastAttemptAt  *time.Time
	LastStatusCode *int
	LastError      string
	NextAttemptAt  *time.Time
	// GiveUpAt ends the retries: a day after the event (or the manual retry).
	GiveUpAt    time.Time
	DeliveredAt *time.Time
	CreatedAt   time.Time
}

// WebhookRetryWindow is how long a delivery is retried before it fails: a day, and one
// more hour, so that an endpoint failing every attempt is disabled (WebhookFailingLimit)
// by a retry of its deliveries rather than outlive them.
const WebhookRetryWindow = WebhookFailingLimit + time.Hour

// WebhookFailingLimit is how long an endpoint may fail every attempt, without one
// success, before it is disabled and the owners are told.
const WebhookFailingLimit = 24 * time.Hour

// The data of each event type, the "data" of its body. Dates are YYYY-MM-DD in the
// program's time zone, times RFC 3339 in UTC, money integer cents.
type (
	// ReferralRegisteredData: a friend signed up through an invite link. The marketplace
	// grants the friend Freelancer Plus until FreelancerPlusUntil.
	ReferralRegisteredData struct {
		ReferralID          int64  `json:"referral_id"`
		Program             string `json:"program"`
		ReferrerEmail       string `json:"referrer_email"`
		FriendEmail         string `json:"friend_email"`
		FreelancerPlusUntil string `json:"freelancer_plus_until"`
		RegisteredAt        string `json:"registered_at"`
	}
	// ReferralQualifiedData: the friend's counted earnings reached the threshold; a
	// payout of the reward now waits for review.
	ReferralQualifiedData struct {
		ReferralID    int64  `json:"referral_id"`
		Program       string `json:"program"`
		ReferrerEmail string `json:"referrer_email"`
		FriendEmail   string `json:"friend_email"`
		CountedCents  int64  `json:"counted_cents"`
		QualifiedAt   string `json:"qualified_at"`
		PayoutID      int64  `json:"payout_id"`
		AmountCents   int64  `json:"amount_cents"`
	}
	// PayoutApprovedData: staff approved the payout; it is paid with BatchMonth's batch
	// by DueDate.
	PayoutApprovedData struct {
		PayoutID      int64  `json:"payout_id"`
		ReferralID    int64  `json:"referral_id"`
		Program       string `json:"program"`
		ReferrerEmail string `json:"referrer_email"`
		AmountCents   int64  `json:"amount_cents"`
		BatchMonth    string `json:"batch_month"`
		DueDate       string `json:"due_date"`
	}
	// PayoutRejectedData: staff rejected the payout, for Reason (the referrer sees it).
	PayoutRejectedData struct {
		PayoutID      int64  `json:"payout_id"`
		ReferralID    int64  `json:"referral_id"`
		Program       string `json:"program"`
		ReferrerEmail string `json:"referrer_email"`
		AmountCents   int64  `json:"amount_cents"`
		Reason        string `json:"reason"`
	}
	// PayoutPaidData: the payout was paid: the marketplace credits AmountCents (minus
	// FeeCents, always 0 for referral credits) to the referrer's account, once per
	// LedgerReference.
	PayoutPaidData struct {
		PayoutID        int64  `json:"payout_id"`
		ReferralID      int64  `json:"referral_id"`
		Program         string `json:"program"`
		ReferrerEmail   string `json:"referrer_email"`
		AmountCents     int64  `json:"amount_cents"`
		FeeCents        int64  `json:"fee_cents"`
		LedgerReference string `json:"ledger_reference"`
		BatchMonth      string `json:"batch_month"`
		PaidAt          string `json:"paid_at"`
	}
)

// webhookBody is the body of every event.
type webhookBody struct {
	Type      WebhookEventType `json:"type"`
	Timestamp string           `json:"timestamp"`
	Data      any              `json:"data"`
}

// webhookTime writes a time of an event's body: RFC 3339, UTC, whole seconds.
func webhookTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// webhookDate writes a day of an event's body, in the program's time zone.
func webhookDate(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

// outgoingEvent is one event for queueWebhooks, with the key that makes it unique.
type outgoingEvent struct {
	typ       WebhookEventType
	dedupeKey string
	data      any
}

// newEvent is the event of type typ about the object key names (e.g. payout:12).
func newEvent(typ WebhookEventType, key string, data any) outgoingEvent {
	return outgoingEvent{typ: typ, dedupeKey: string(typ) + ":" + key, data: data}
}

// WebhookJob is a delivery to work, for the job queue.
type WebhookJob struct {
	DeliveryID int64
	Generation int
}

// newMessageID is a webhook-id: msg_ and 128 random bits, so ids never repeat, across
// installations too.
func newMessageID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "msg_" + base64.RawURLEncoding.EncodeToString(b)
}

// queueWebhooks records events in tx with a delivery, and its job, for each active
// endpoint that wants its type, so they exist exactly when the change that causes them
// commits. An event whose dedupe key was seen is dropped, deliveries and all. It costs
// one query when no endpoint is registered, and a few multi-row statements otherwise,
// whatever the number of events.
func (s *Store) queueWebhooks(tx *gorm.DB, events []outgoingEvent) error {
	if len(events) == 0 {
		return nil
	}
	var endpoints []WebhookEndpoint
	if err := tx.Select("id", "events").Where("status = ?", WebhookActive).Order("id").Find(&endpoints).Error; err != nil {
		return fmt.Errorf("webhook endpoints: %w", err)
	}
	events = slices.DeleteFunc(slices.Clone(events), func(e outgoingEvent) bool {
		return !slices.ContainsFunc(endpoints, func(ep WebhookEndpoint) bool { return ep.Wants(e.typ) })
	})
	if len(events) == 0 {
		return nil
	}
	now := s.Now()
	return chunks(events, func(part []outgoingEvent) error {
		args := make([]any, 0, len(part)*5)
		typeOf := make(map[string]WebhookEventType, len(part))
		for _, e := range part {
			payload, err := json.Marshal(webhookBody{Type: e.typ, Timestamp: webhookTime(now), Data: e.data})
			if err != nil {
				return fmt.Errorf("%s event: %w", e.typ, err)
			}
			args = append(args, newMessageID(), string(e.typ), string(payload), e.dedupeKey, now)
			typeOf[e.dedupeKey] = e.typ
		}
		var inserted []struct {
			ID        int64
			DedupeKey string
		}
		err := rawScan(tx, &inserted, "INSERT INTO webhook_events (message_id, type, payload, dedupe_key, created_at) VALUES "+
			placeholders(len(part), "?", "?", "?", "?", "?")+" ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key", args...)
		if err != nil {
			return fmt.Errorf("record %d webhook events: %w", len(part), err)
		}
		type delivery struct{ event, endpoint int64 }
		var deliveries []delivery
		for _, ev := range inserted {
			for _, ep := range endpoints {
				if ep.Wants(typeOf[ev.DedupeKey]) {
					deliveries = append(deliveries, delivery{ev.ID, ep.ID})
				}
			}
		}
		return chunks(deliveries, func(part []delivery) error {
			args := make([]any, 0, len(part)*5)
			for _, d := range part {
				args = append(args, d.event, d.endpoint, string(WebhookPending), now.Add(WebhookRetryWindow), now)
			}
			var ids []int64
			err := rawScan(tx, &ids, "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, give_up_at, created_at) VALUES "+
				placeholders(len(part), "?", "?", "?", "?", "?")+" RETURNING id", args...)
			if err != nil {
				return fmt.Errorf("queue %d webhook deliveries: %w", len(part), err)
			}
			jobs := make([]WebhookJob, len(ids))
			for i, id := range ids {
				jobs[i] = WebhookJob{DeliveryID: id, Generation: 1}
			}
			return s.enqueueWebhooks(tx, jobs)
		})
	})
}

// enqueueWebhooks inserts the jobs of deliveries into tx's transaction.
func (s *Store) enqueueWebhooks(tx *gorm.DB, jobs []WebhookJob) error {
	if s.jobs == nil || len(jobs) == 0 {
		return nil
	}
	sqlTx, err := sqlTxOf(tx)
	if err != nil {
		return err
	}
	if err := s.jobs.EnqueueWebhooks(tx.Statement.Context, sqlTx, jobs); err != nil {
		return fmt.Errorf("queue %d webhook deliveries: %w", len(jobs), err)
	}
	return nil
}

// WebhookInput is the form that registers an endpoint.
type WebhookInput struct {
	URL    string
	Events []string
}

// ErrWebhookEndpointDisabled: a disabled endpoint receives nothing, retries included.
var ErrWebhookEndpointDisabled = errors.New("the endpoint is disabled")

// WebhookPolicy is where webhooks may go: public addresses, unless the Store allows
// private ones (development and tests). Addresses are checked against it when entered,
// and again on every connection.
func (s *Store) WebhookPolicy() netguard.Policy {
	return netguard.Policy{AllowPrivate: s.allowPrivateWebhooks}
}

// CreateWebhookEndpoint registers an endpoint for an owner and returns it with its
// secret, the only time the secret is given out. A bad address (not https, not absolute,
// or resolving to a private address) or no known event type is a field error
// (url, events), and nothing is created.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, actor Actor, in WebhookInput) (WebhookEndpoint, error) {
	if err := actor.may(ManageWebhooks); err != nil {
		return WebhookEndpoint{}, err
	}
	in.URL = strings.TrimSpace(in.URL)
	fields := FieldErrors{}
	if err := s.WebhookPolicy().CheckURL(ctx, in.URL); err != nil {
		fields["url"] = err.Error()
	}
	var events []WebhookEventType
	for _, t := range WebhookEventTypes() {
		if slices.Contains(in.Events, string(t)) {
			events = append(events, t)
		}
	}
	if len(events) == 0 || len(events) != len(slices.Compact(slices.Sorted(slices.Values(in.Events)))) {
		fields["events"] = "Choose the events this endpoint receives."
	}
	if len(fields) > 0 {
		return WebhookEndpoint{}, fields
	}
	key := make([]byte, 24)
	rand.Read(key)
	now := s.Now()
	ep := WebhookEndpoint{
		URL: in.URL, Events: events, Secret: "whsec_" + base64.StdEncoding.EncodeToString(key),
		Status: WebhookActive, CreatedBy: actor.userRef(), CreatedAt: now, UpdatedAt: now,
	}
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&ep).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, "webhook.create", webhookTarget(ep.ID), map[string]any{"url": ep.URL, "events": ep.Events})
	})
	if err != nil {
		return WebhookEndpoint{}, fmt.Errorf("create webhook endpoint: %w", err)
	}
	return ep, nil
}

// webhookTarget names an endpoint in the audit log.
func webhookTarget(id int64) string { return fmt.Sprintf("webhook:%d", id) }

// DisableWebhookEndpoint stops an endpoint receiving events, for an owner: its pending
// deliveries fail at once. Disabling it again changes nothing.
func (s *Store) DisableWebhookEndpoint(ctx context.Context, actor Actor, id int64) error {
	if err := actor.may(ManageWebhooks); err != nil {
		return err
	}
	return s.transaction(ctx, func(tx *gorm.DB) error {
		changed, err := s.disableEndpoint(tx, id, "Disabled by "+actor.Label+".")
		if err != nil || !changed {
			return err
		}
		return s.audit(tx, actor, "webhook.disable", webhookTarget(id), nil)
	})
}

// disableEndpoint disables active endpoint id for reason and fails its pending
// deliveries; changed is false when it was disabled already.
func (s *Store) disableEndpoint(tx *gorm.DB, id int64, reason string) (changed bool, err error) {
	var ep WebhookEndpoint
	if err := tx.Select("id").Take(&ep, id).Error; err != nil {
		return false, notFound(err)
	}
	now := s.Now()
	res := tx.Model(&WebhookEndpoint{}).Where("id = ? AND status = ?", id, WebhookActive).
		Updates(map[string]any{"status": WebhookDisabled, "disabled_at": now, "disabled_reason": reason, "updated_at": now})
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	err = tx.Model(&WebhookDelivery{}).Where("endpoint_id = ? AND status = ?", id, WebhookPending).
		Updates(map[string]any{"status": WebhookFailed, "last_error": "The endpoint was disabled.", "next_attempt_at": nil}).Error
	return true, err
}

// EnableWebhookEndpoint makes a disabled endpoint receive events again, for an owner.
// Deliveries that failed meanwhile stay failed; the owner retries those they want.
func (s *Store) EnableWebhookEndpoint(ctx context.Context, actor Actor, id int64) error {
	if err := actor.may(ManageWebhooks); err != nil {
		return err
	}
	return s.transaction(ctx, func(tx *gorm.DB) error {
		var ep WebhookEndpoint
		if err := tx.Select("id").Take(&ep, id).Error; err != nil {
			return notFound(err)
		}
		res := tx.Model(&WebhookEndpoint{}).Where("id = ? AND status = ?", id, WebhookDisabled).
			Updates(map[string]any{"status": WebhookActive, "disabled_at": nil, "disabled_reason": "", "failing_since": nil, "updated_at": s.Now()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return s.audit(tx, actor, "webhook.enable", webhookTarget(id), nil)
	})
}

// WebhookEndpointSummary is an endpoint as the list shows it.
type WebhookEndpointSummary struct {
	WebhookEndpoint
	Pending, Delivered, Failed int64
}

// WebhookEndpoints lists every endpoint, the newest first, with its deliveries counted
// by status, for an owner. Secrets are left out.
func (s *Store) WebhookEndpoints(ctx context.Context, actor Actor) ([]WebhookEndpointSummary, error) {
	if err := actor.may(ManageWebhooks); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var endpoints []WebhookEndpoint
	if err := db.Omit("secret").Order("id DESC").Find(&endpoints).Error; err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	var counts []struct {
		EndpointID int64
		Status     WebhookDeliveryStatus
		N          int64
	}
	// The counter rows the database keeps (webhook_delivery_counts, migration 00017): a
	// few per endpoint, where grouping the deliveries read every one ever made.
	err := db.Table("webhook_delivery_counts").Select("endpoint_id, status, n").Find(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("count webhook deliveries: %w", err)
	}
	out := make([]WebhookEndpointSummary, len(endpoints))
	at := map[int64]int{}
	for i, ep := range endpoints {
		out[i] = WebhookEndpointSummary{WebhookEndpoint: ep}
		at[ep.ID] = i
	}
	for _, c := range counts {
		i, ok := at[c.EndpointID]
		if !ok {
			continue
		}
		switch c.Status {
		case WebhookPending:
			out[i].Pending = c.N
		case WebhookDelivered:
			out[i].Delivered = c.N
		case WebhookFailed:
			out[i].Failed = c.N
		}
	}
	return out, nil
}

// WebhookDeliveryRow is a delivery as the log shows it, with its event.
type WebhookDeliveryRow struct {
	WebhookDelivery `gorm:"embedded"`
	MessageID       string
	EventType       WebhookEventType
}

// WebhookEndpointDetail is one endpoint with a page of its delivery log.
type WebhookEndpointDetail struct {
	Endpoint   WebhookEndpoint
	Deliveries Page[WebhookDeliveryRow]
}

// WebhookEndpoint loads endpoint id (without its secret) and a page of its deliveries,
// the newest first, for an owner.
func (s *Store) WebhookEndpoint(ctx context.Context, actor Actor, id int64, paging Paging) (WebhookEndpointDetail, error) {
	if err := actor.may(ManageWebhooks); err != nil {
		return WebhookEndpointDetail{}, err
	}
	db := s.db.WithContext(ctx)
	var d WebhookEndpointDetail
	if err := db.Omit("secret").Take(&d.Endpoint, id).Error; err != nil {
		return d, notFound(err)
	}
	q := db.Table("webhook_deliveries").Where("endpoint_id = ?", id)
	var total int64
	err := db.Table("webhook_delivery_counts").Select("COALESCE(SUM(n), 0)").Where("endpoint_id = ?", id).Scan(&total).Error
	if err != nil {
		return d, fmt.Errorf("count deliveries of webhook %d: %w", id, err)
	}
	var rows []WebhookDeliveryRow
	err = q.Select("webhook_deliveries.*, ev.message_id AS message_id, ev.type AS event_type").
		Joins("JOIN webhook_events ev ON ev.id = webhook_deliveries.event_id").
		Order("webhook_deliveries.id DESC").Offset(paging.Offset()).Limit(paging.Limit()).Find(&rows).Error
	if err != nil {
		return d, fmt.Errorf("list deliveries of webhook %d: %w", id, err)
	}
	d.Deliveries = newPage(rows, total, paging)
	return d, nil
}

// DisabledWebhookEndpoints are the endpoints the app disabled after a day of failures
// (not those an owner disabled), for the owners' attention on the overview.
func (s *Store) DisabledWebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	var eps []WebhookEndpoint
	err := s.db.WithContext(ctx).Omit("secret").
		Where("status = ? AND disabled_reason LIKE ?", WebhookDisabled, failingReasonPrefix+"%").
		Order("disabled_at DESC").Find(&eps).Error
	return eps, err
}

// failingReasonPrefix starts the reason of an endpoint disabled for failing.
const failingReasonPrefix = "No delivery succeeded"

// RetryWebhookDelivery sends delivery id of endpoint endpointID again, now, for an owner:
// a failed delivery gets another day of attempts, a pending one is tried at once, and a
// delivered one is sent again (receivers drop it by its webhook-id, which stays the
// same). The endpoint must be active.
func (s *Store) RetryWebhookDelivery(ctx context.Context, actor Actor, endpointID, id int64) error {
	if err := actor.may(ManageWebhooks); err != nil {
		return err
	}
	return s.transaction(ctx, func(tx *gorm.DB) error {
		var d WebhookDelivery
		if err := tx.Where("endpoint_id = ?", endpointID).Take(&d, id).Error; err != nil {
			return notFound(err)
		}
		var ep WebhookEndpoint
		if err := tx.Select("id", "status").Take(&ep, endpointID).Error; err != nil {
			return err
		}
		if ep.Status != WebhookActive {
			return ErrWebhookEndpointDisabled
		}
		now := s.Now()
		res := tx.Model(&WebhookDelivery{}).Where("id = ? AND generation = ?", id, d.Generation).Updates(map[string]any{
			"status": WebhookPending, "generation": d.Generation + 1, "next_attempt_at": now,
			"give_up_at": now.Add(WebhookRetryWindow), "delivered_at": nil,
		})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // a concurrent retry got there first: it is being retried
		}
		if err := s.enqueueWebhooks(tx, []WebhookJob{{DeliveryID: id, Generation: d.Generation + 1}}); err != nil {
			return err
		}
		return s.audit(tx, actor, "webhook.retry", webhookTarget(endpointID), map[string]any{"delivery_id": id, "was": d.Status})
	})
}

// WebhookAttempt is what one attempt at a delivery needs.
type WebhookAttempt struct {
	Delivery WebhookDelivery
	Endpoint WebhookEndpoint
	Event    WebhookEvent
}

// StartWebhookAttempt loads delivery id for an attempt by the job of generation. ok is
// false when there is nothing to do: the delivery was delivered or failed, or an owner's
// retry made a newer job. A delivery whose endpoint is disabled fails.
func (s *Store) StartWebhookAttempt(ctx context.Context, id int64, generation int) (a WebhookAttempt, ok bool, err error) {
	db := s.db.WithContext(ctx)
	if err := db.Take(&a.Delivery, id).Error; err != nil {
		return a, false, fmt.Errorf("webhook delivery %d: %w", id, notFound(err))
	}
	if a.Delivery.Generation != generation || a.Delivery.Status != WebhookPending {
		return a, false, nil
	}
	if err := db.Take(&a.Endpoint, a.Delivery.EndpointID).Error; err != nil {
		return a, false, err
	}
	if err := db.Take(&a.Event, a.Delivery.EventID).Error; err != nil {
		return a, false, err
	}
	if a.Endpoint.Status != WebhookActive {
		err := db.Model(&WebhookDelivery{}).Where("id = ? AND generation = ? AND status = ?", id, generation, WebhookPending).
			Updates(map[string]any{"status": WebhookFailed, "last_error": "The endpoint was disabled.", "next_attempt_at": nil}).Error
		return a, false, err
	}
	return a, true, nil
}

// WebhookOutcome is how an attempt ended: the endpoint's status code (0 when it did not
// answer) and, unless it answered 2xx, why it failed.
type WebhookOutcome struct {
	StatusCode int
	Err        string
	// NextAttempt is when the job will try again, if it does.
	NextAttempt time.Time
	// Final: the job has no attempts left, whatever the time.
	Final bool
}

// Delivered reports whether the endpoint took the event.
func (o WebhookOutcome) Delivered() bool {
	return o.Err == "" && o.StatusCode >= 200 && o.StatusCode < 300
}

// WebhookAttemptResult says what comes after an attempt.
type WebhookAttemptResult struct {
	// Retry: try again at NextAttempt. False once delivered or failed for good.
	Retry bool
	// EndpointDisabled: this failure ended a day of failures and disabled the endpoint.
	EndpointDisabled bool
}

// FinishWebhookAttempt records how an attempt at delivery id by the job of generation
// ended, and whether another follows: a failure is retried until the delivery's day is
// over. It keeps the endpoint's failing-since time, and disables the endpoint after
// WebhookFailingLimit without a success (its other pending deliveries fail with it).
// An attempt of an older generation records nothing.
func (s *Store) FinishWebhookAttempt(ctx context.Context, id int64, generation int, o WebhookOutcome) (WebhookAttemptResult, error) {
	var res WebhookAttemptResult
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		res = WebhookAttemptResult{}
		now := s.Now()
		var d WebhookDelivery
		if err := tx.Take(&d, id).Error; err != nil {
			return err
		}
		if d.Generation != generation || d.Status != WebhookPending {
			return nil
		}
		changes := map[string]any{"attempts": d.Attempts + 1, "last_attempt_at": now, "last_error": o.Err, "next_attempt_at": nil}
		if o.StatusCode != 0 {
			changes["last_status_code"] = o.StatusCode
		}
		endpoint := tx.Model(&WebhookEndpoint{}).Where("id = ?", d.EndpointID)
		switch {
		case o.Delivered():
			changes["status"], changes["delivered_at"] = WebhookDelivered, now
			if err := endpoint.Update("failing_since", nil).Error; err != nil {
				return err
			}
		case !now.Before(d.GiveUpAt), o.Final:
			changes["status"] = WebhookFailed
			changes["last_error"] = fmt.Sprintf("Gave up after %d attempts over a day: %s", d.Attempts+1, o.Err)
		default:
			changes["next_attempt_at"] = o.NextAttempt
			res.Retry = true
		}
		upd := tx.Model(&WebhookDelivery{}).Where("id = ? AND generation = ? AND status = ?", id, generation, WebhookPending).Updates(changes)
		if upd.Error != nil || upd.RowsAffected == 0 || o.Delivered() {
			return upd.Error
		}

		// A failure: the endpoint has been failing since its first failure after its
		// last success, and a day of that disables it.
		if err := endpoint.Update("failing_since", gorm.Expr("COALESCE(failing_since, ?)", now)).Error; err != nil {
			return err
		}
		var ep WebhookEndpoint
		if err := tx.Select("id", "status", "failing_since").Take(&ep, d.EndpointID).Error; err != nil {
			return err
		}
		if ep.Status != WebhookActive || ep.FailingSince == nil || now.Sub(*ep.FailingSince) < WebhookFailingLimit {
			return nil
		}
		reason := fmt.Sprintf("%s for a day: every attempt has failed since %s.", failingReasonPrefix, webhookTime(*ep.FailingSince))
		disabled, err := s.disableEndpoint(tx, ep.ID, reason)
		if err != nil || !disabled {
			return err
		}
		res.Retry, res.EndpointDisabled = false, true
		return s.audit(tx, SystemActor("webhooks"), "webhook.disable", webhookTarget(ep.ID), map[string]any{"reason": reason})
	})
	if err != nil {
		return WebhookAttemptResult{}, fmt.Errorf("record webhook attempt %d: %w", id, err)
	}
	return res, nil
}
