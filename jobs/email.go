package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"referrals/models"
)

const (
	// emailQueue is the River queue of email deliveries. Only processes that can send
	// (SMTP_URL set) work it; elsewhere its jobs wait, and their emails stay queued.
	emailQueue = "email"
	// emailMaxAttempts bounds the tries at one email. River waits attempt^4 seconds
	// between tries, so the last of 12 comes about 11 hours after the first: a relay
	// outage overnight delays email without losing it.
	emailMaxAttempts = 12
	// recordTimeout bounds writing an attempt's outcome, which must happen even when the
	// job's own context is over (shutdown, job timeout).
	recordTimeout = 10 * time.Second
	// maxErrorLength keeps an SMTP server's error readable in the outbox.
	maxErrorLength = 1000
)

// DeliverEmailArgs is the job that delivers one email of the outbox. The email row holds
// the facts to write it out from; the job only says which.
type DeliverEmailArgs struct {
	EmailID int64 `json:"email_id"`
}

func (DeliverEmailArgs) Kind() string { return "deliver_email" }

func (DeliverEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: emailQueue, MaxAttempts: emailMaxAttempts}
}

// emailWorker delivers outbox emails through the mailer.
//
// Delivery is exactly once in normal operation and at most once when an attempt is cut
// short at the one moment its outcome cannot be known. Step by step:
//
//  1. The attempt claims the email (queued -> sending, attempts + 1) in a transaction
//     that commits before any SMTP traffic. River gives a job to one worker at a time and
//     there is one job per email, and the claim is a conditional update, so no two
//     attempts ever talk to the SMTP server about one email.
//  2. It writes the email out from its facts (models.Store.WriteEmail), with this
//     process's BASE_URL, and sends it, with the email's dedupe key in its Message-ID
//     (MessageID). An email that cannot be written out fails for good.
//  3. It records the outcome, only if the email is still sending:
//     accepted -> sent; refused for good (5xx) or out of attempts -> failed with
//     last_error; refused for now (4xx) or not reached -> queued with last_error, and
//     River retries the job later with its backoff. In each of these the server said
//     whether it took the message, so a retry never sends twice what it accepted.
//
// What remains is an attempt that stops between the server's acceptance and step 3 (the
// process is killed, the database is unreachable), or whose connection breaks after the
// whole message went out but before the server answered. The email is then still
// sending, or the mailer reports errUncertain, and nobody can know whether it arrived:
// SMTP has no way to ask. We choose at most once there: the email is marked failed, with
// a last_error naming its Message-ID, so an admin sees it on /admin/outbox and can look
// the Message-ID up in the relay's log, rather than risk sending it twice. The window is
// one UPDATE wide after a normal send, and graceful shutdown lets attempts finish.
type emailWorker struct {
	river.WorkerDefaults[DeliverEmailArgs]
	store  *models.Store
	mailer *Mailer
	emails models.EmailRenderer
	log    *slog.Logger
}

func (w *emailWorker) Work(ctx context.Context, job *river.Job[DeliverEmailArgs]) error {
	installation, err := w.store.InstallationID(ctx)
	if err != nil {
		return err // the database is unreachable: River retries later
	}
	e, claimed, err := w.store.ClaimEmail(ctx, job.Args.EmailID)
	if err != nil {
		return err
	}
	messageID := MessageID(e.DedupeKey, installation, w.mailer.cfg.From.Address)
	if !claimed {
		if e.Status != models.EmailSending {
			return nil // sent, failed or cancelled already: nothing left to do
		}
		reason := fmt.Sprintf("an earlier attempt stopped while sending; the SMTP server may or may not have accepted it: look for Message-ID <%s> in its log before sending it again", messageID)
		return w.fail(ctx, e, nil, errors.New(reason))
	}

	content, err := w.store.WriteEmail(ctx, e, w.emails)
	if err != nil {
		if models.IsUnavailable(err) {
			return w.retryLater(ctx, job, e, nil, err)
		}
		return w.fail(ctx, e, nil, err)
	}
	err = w.mailer.Send(ctx, Outgoing{Email: e, Content: content, MessageID: messageID, Date: w.store.Now()})
	switch {
	case err == nil:
		if err := w.record(ctx, e.ID, models.EmailSent, "", &content); err != nil {
			return err
		}
		w.log.Info("email sent", "email_id", e.ID, "kind", e.Kind, "attempt", e.Attempts)
		return nil
	case errors.Is(err, errRefused), errors.Is(err, errUncertain):
		return w.fail(ctx, e, &content, err)
	}
	return w.retryLater(ctx, job, e, &content, err)
}

// retryLater puts claimed email e back in the queue after an attempt that certainly did
// not send it, for River to try again with its backoff; after the last attempt it fails.
func (w *emailWorker) retryLater(ctx context.Context, job *river.Job[DeliverEmailArgs], e models.Email, content *models.EmailContent, err error) error {
	if job.Attempt >= job.MaxAttempts {
		return w.fail(ctx, e, content, fmt.Errorf("gave up after %d attempts: %w", e.Attempts, err))
	}
	if rerr := w.record(ctx, e.ID, models.EmailQueued, err.Error(), content); rerr != nil {
		return errors.Join(err, rerr)
	}
	return fmt.Errorf("email %d, attempt %d: %w", e.ID, e.Attempts, err)
}

// fail marks e failed for good with err as its last_error, and tells River not to retry.
func (w *emailWorker) fail(ctx context.Context, e models.Email, content *models.EmailContent, err error) error {
	if rerr := w.record(ctx, e.ID, models.EmailFailed, err.Error(), content); rerr != nil {
		return errors.Join(err, rerr)
	}
	w.log.Warn("email failed", "email_id", e.ID, "kind", e.Kind, "attempts", e.Attempts, "error", err)
	return river.JobCancel(fmt.Errorf("email %d failed: %w", e.ID, err))
}

// record writes an attempt's outcome, and what it wrote out, even when the job's
// context has ended.
func (w *emailWorker) record(ctx context.Context, id int64, status models.EmailStatus, lastError string, content *models.EmailContent) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if len(lastError) > maxErrorLength {
		lastError = strings.ToValidUTF8(lastError[:maxErrorLength], "") + "…"
	}
	return w.store.FinishEmailAttempt(ctx, id, status, lastError, content)
}
