package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"referrals/models"
	"referrals/netguard"
)

const (
	// webhookQueue is the River queue of webhook deliveries, worked by every process.
	webhookQueue = "webhook"
	// webhookWorkers is how many deliveries one process makes at once.
	webhookWorkers = 8
	// webhookPerEndpoint is how many of them may go to one endpoint at once: a slow or
	// hanging receiver holds at most this many workers, never all of them, so it
	// cannot delay other endpoints' deliveries. Its other jobs wait their turn.
	webhookPerEndpoint = 2
	// webhookBusyWait is how long a delivery to a busy endpoint waits before asking again.
	webhookBusyWait = 2 * time.Second
	// webhookTimeout bounds one attempt: connecting, sending, and the answer's headers.
	webhookTimeout = 10 * time.Second
	// webhookFirstRetry is the wait before the first retry; each later one doubles it,
	// up to webhookMaxWait, until the delivery's day is over (models.WebhookRetryWindow):
	// about 30 attempts.
	webhookFirstRetry = 30 * time.Second
	webhookMaxWait    = time.Hour
	// webhookMaxAttempts is a backstop: the day runs out long before.
	webhookMaxAttempts = 100
	// maxAnswerExcerpt is how much of a failing answer's body the delivery log keeps.
	maxAnswerExcerpt = 300
)

// DeliverWebhookArgs is the job that delivers one webhook delivery (one event to one
// endpoint). Generation is the delivery's generation when the job was made: an owner's
// manual retry makes a new job of the next generation, and older jobs then stop.
type DeliverWebhookArgs struct {
	DeliveryID int64 `json:"delivery_id"`
	Generation int   `json:"generation"`
}

func (DeliverWebhookArgs) Kind() string { return "deliver_webhook" }

func (DeliverWebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: webhookQueue, MaxAttempts: webhookMaxAttempts}
}

// webhookWorker delivers webhooks, at least once: an attempt that fails in any way (an
// answer other than 2xx, no answer within the timeout, a reset connection, an address
// refused) is retried with growing waits, with the same webhook-id and body, until the
// endpoint answers 2xx or the delivery's day is over. An attempt cut short after the
// receiver got the request (the process is killed) is made again: receivers drop
// duplicates by webhook-id, as Standard Webhooks asks.
type webhookWorker struct {
	river.WorkerDefaults[DeliverWebhookArgs]
	store  *models.Store
	client *http.Client
	// timeout is webhookTimeout and firstRetry webhookFirstRetry (shorter in tests).
	timeout, firstRetry time.Duration
	busy                *endpointLimit
	log                 *slog.Logger
}

func newWebhookWorker(store *models.Store, timeout, firstRetry time.Duration, log *slog.Logger) *webhookWorker {
	if timeout <= 0 {
		timeout = webhookTimeout
	}
	if firstRetry <= 0 {
		firstRetry = webhookFirstRetry
	}
	return &webhookWorker{
		store: store, client: store.WebhookPolicy().Client(timeout), timeout: timeout, firstRetry: firstRetry,
		busy: &endpointLimit{inFlight: map[int64]int{}}, log: log,
	}
}

// wait is how long after attempt (1 for the first) the next one comes.
func (w *webhookWorker) wait(attempt int) time.Duration {
	d := w.firstRetry
	for i := 1; i < attempt && d < webhookMaxWait; i++ {
		d *= 2
	}
	return min(d, webhookMaxWait)
}

// NextRetry schedules the retry after a failed attempt (River's clock: the real one).
func (w *webhookWorker) NextRetry(job *river.Job[DeliverWebhookArgs]) time.Time {
	return time.Now().Add(w.wait(job.Attempt))
}

func (w *webhookWorker) Work(ctx context.Context, job *river.Job[DeliverWebhookArgs]) error {
	id, generation := job.Args.DeliveryID, job.Args.Generation
	a, ok, err := w.store.StartWebhookAttempt(ctx, id, generation)
	if err != nil {
		return err // the database is unreachable: River retries later
	}
	if !ok {
		return nil // delivered, failed, or retried by an owner with a newer job
	}
	if !w.busy.take(a.Endpoint.ID) {
		return river.JobSnooze(webhookBusyWait)
	}
	defer w.busy.give(a.Endpoint.ID)

	outcome := w.send(ctx, a)
	outcome.NextAttempt = w.store.Now().Add(w.wait(job.Attempt))
	outcome.Final = job.Attempt >= job.MaxAttempts
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	res, err := w.store.FinishWebhookAttempt(rctx, id, generation, outcome)
	if err != nil {
		return err // not recorded: River tries again, and the receiver drops the duplicate
	}
	switch {
	case outcome.Delivered():
		w.log.Info("webhook delivered", "delivery_id", id, "type", a.Event.Type, "endpoint_id", a.Endpoint.ID, "status", outcome.StatusCode)
		return nil
	case res.EndpointDisabled:
		w.log.Warn("webhook endpoint disabled after a day of failures", "endpoint_id", a.Endpoint.ID)
	}
	failure := fmt.Errorf("webhook delivery %d to endpoint %d, attempt %d: %s", id, a.Endpoint.ID, job.Attempt, outcome.Err)
	if !res.Retry {
		w.log.Warn("webhook failed", "delivery_id", id, "endpoint_id", a.Endpoint.ID, "error", outcome.Err)
		return river.JobCancel(failure)
	}
	return failure
}

// send makes one attempt: POST the event's body, signed (Standard Webhooks 1.0).
func (w *webhookWorker) send(ctx context.Context, a models.WebhookAttempt) models.WebhookOutcome {
	body := []byte(a.Event.Payload)
	timestamp := time.Now().Unix() // the receiver checks it against its own clock
	signature, err := signWebhook(a.Endpoint.Secret, a.Event.MessageID, timestamp, body)
	if err != nil {
		return models.WebhookOutcome{Err: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Endpoint.URL, bytes.NewReader(body))
	if err != nil {
		return models.WebhookOutcome{Err: "the address cannot be requested: " + err.Error()}
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Referrals-Webhooks/1.0")
	h.Set("webhook-id", a.Event.MessageID)
	h.Set("webhook-timestamp", strconv.FormatInt(timestamp, 10))
	h.Set("webhook-signature", signature)
	res, err := w.client.Do(req)
	if err != nil {
		return models.WebhookOutcome{Err: w.describeSendError(err)}
	}
	defer res.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(res.Body, maxAnswerExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // lets the connection be reused
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return models.WebhookOutcome{StatusCode: res.StatusCode}
	}
	msg := fmt.Sprintf("The endpoint answered %d %s", res.StatusCode, http.StatusText(res.StatusCode))
	if text := strings.TrimSpace(strings.ToValidUTF8(string(excerpt), "")); text != "" && utf8.ValidString(text) {
		msg += ": " + text
	}
	return models.WebhookOutcome{StatusCode: res.StatusCode, Err: msg}
}

// describeSendError says why an attempt got no answer, for the delivery log.
func (w *webhookWorker) describeSendError(err error) string {
	var timeout interface{ Timeout() bool }
	switch {
	case errors.Is(err, netguard.ErrForbiddenAddress):
		return "Refused: the address resolves to a private, loopback or link-local address."
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		return "No answer within " + w.timeout.String() + "."
	}
	return "No answer: " + err.Error()
}

// signWebhook is the webhook-signature header of Standard Webhooks 1.0: "v1," and the
// base64 of HMAC-SHA256, keyed with the secret's bytes (the base64 after whsec_), of
// "ID.TIMESTAMP.BODY".
func signWebhook(secret, messageID string, timestamp int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return "", errors.New("the endpoint's secret is not whsec_ and base64")
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", messageID, timestamp)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// endpointLimit counts this process's attempts in flight per endpoint.
type endpointLimit struct {
	mu       sync.Mutex
	inFlight map[int64]int
}

// take claims a place for an attempt at endpoint id, if one is free.
func (l *endpointLimit) take(id int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight[id] >= webhookPerEndpoint {
		return false
	}
	l.inFlight[id]++
	return true
}

func (l *endpointLimit) give(id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight[id]--; l.inFlight[id] <= 0 {
		delete(l.inFlight, id)
	}
}
