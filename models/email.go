package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// EmailKind names an email: the five of R13, the review decision that tells a
// referrer their credit was approved (with the date it will be paid by) or rejected (with
// the reason), so nobody learns of a rejection only by its absence, and the sign-in link
// asked for on the sign-in page.
type EmailKind string

const (
	EmailInvitation      EmailKind = "invitation"
	EmailReminder        EmailKind = "reminder"
	EmailFriendJoined    EmailKind = "friend_joined"
	EmailFriendQualified EmailKind = "friend_qualified"
	EmailCreditApproved  EmailKind = "credit_approved"
	EmailCreditRejected  EmailKind = "credit_rejected"
	EmailCreditPaid      EmailKind = "credit_paid"
	EmailSignInLink      EmailKind = "sign_in_link"
	// EmailStaffInvite welcomes a member of staff an owner added, with a sign-in link.
	EmailStaffInvite EmailKind = "staff_invite"
)

// EmailKinds lists every kind, in the order of a referral's life, then the account's.
func EmailKinds() []EmailKind {
	return []EmailKind{EmailInvitation, EmailReminder, EmailFriendJoined, EmailFriendQualified, EmailCreditApproved, EmailCreditRejected, EmailCreditPaid, EmailSignInLink, EmailStaffInvite}
}

// Marketing reports whether an opted-out freelancer must not get this kind; the others
// are transactional (R13).
func (k EmailKind) Marketing() bool { return k == EmailInvitation || k == EmailReminder }

// EmailStatus is where an email is in delivery.
type EmailStatus string

const (
	// EmailQueued waits for delivery (or for SMTP to be configured).
	EmailQueued EmailStatus = "queued"
	// EmailSending is claimed by one delivery attempt, which is talking to the SMTP server.
	EmailSending EmailStatus = "sending"
	EmailSent    EmailStatus = "sent"
	// EmailFailed will not be tried again; LastError says why.
	EmailFailed EmailStatus = "failed"
	// EmailCancelled will not be sent: a marketing email whose recipient unsubscribed
	// before it went out.
	EmailCancelled EmailStatus = "cancelled"
)

// EmailStatuses lists every status, in delivery order.
func EmailStatuses() []EmailStatus {
	return []EmailStatus{EmailQueued, EmailSending, EmailSent, EmailFailed, EmailCancelled}
}

// Email is one message in the outbox. Its dedupe key is unique, so whatever causes it
// twice queues it once.
//
// An email is queued as facts (its kind, recipient, program and EmailMessage's own
// fields in Facts) and written out only when it is sent, by the process that sends it,
// so its links start with that process's BASE_URL. Subject and bodies are what the last
// attempt wrote out: empty until then. Emails queued by the first release have no facts
// (nil) and were written out when queued.
type Email struct {
	ID        int64
	UserID    *int64
	ProgramID *int64
	Recipient string
	Kind      EmailKind
	Subject   string
	BodyText  string
	BodyHTML  string
	Facts     *string
	DedupeKey string
	Status    EmailStatus
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    *time.Time
}

// Written reports whether the email holds the content an attempt wrote out (or the
// first release wrote when it was queued).
func (e Email) Written() bool { return e.Subject != "" }

// EmailMessage is what an email says, before it is written out: its kind, its recipient
// and the facts its template needs. Fields a kind does not use stay zero. The fields
// with a JSON name are the facts kept in the outbox until it is sent; the recipient
// and the program are kept by id and read again then.
type EmailMessage struct {
	Kind    EmailKind `json:"-"`
	To      User      `json:"-"`
	Program Program   `json:"-"`
	// InviteCode makes the invite link (invitation, reminder).
	InviteCode string `json:"invite_code,omitzero"`
	// FriendName is the referred friend (joined, qualified, paid).
	FriendName  string `json:"friend_name,omitzero"`
	AmountCents int64  `json:"amount_cents,omitzero"`
	// DueDate is when an approved credit will be paid at the latest.
	DueDate time.Time `json:"due_date,omitzero"`
	// Reason is why a credit was rejected.
	Reason string `json:"reason,omitzero"`
	// LinkPath is the path of the signed sign-in link (it starts with "/"; the sender
	// puts its BASE_URL in front), and Expires when it stops working (sign-in link).
	LinkPath string    `json:"link_path,omitzero"`
	Expires  time.Time `json:"expires,omitzero"`
}

// EmailContent is an email written out.
type EmailContent struct {
	Subject string
	Text    string
	HTML    string
	// Unsubscribe is the one-click unsubscribe link (RFC 8058) of a marketing email,
	// for its List-Unsubscribe header; empty for transactional email.
	Unsubscribe string
}

// EmailRenderer writes out messages. The views implement it, so the models stay free of
// templates; the process that sends an email writes it out (see Store.WriteEmail).
type EmailRenderer interface {
	RenderEmail(EmailMessage) (EmailContent, error)
}

// queueEmail adds msg to the outbox in tx, with the job that delivers it, so both exist
// exactly when the change that causes them commits (R13). A second email with the same
// dedupe key is dropped, job and all, so reruns and redeliveries never queue twice.
func (s *Store) queueEmail(tx *gorm.DB, dedupeKey string, msg EmailMessage) error {
	return s.queueEmails(tx, []queuedEmail{{dedupeKey: dedupeKey, msg: msg}})
}

// queuedEmail is one message for queueEmails, with the key that makes it unique.
type queuedEmail struct {
	dedupeKey string
	msg       EmailMessage
}

// queueEmails is queueEmail for many messages at once: one multi-row insert of the
// outbox rows and one of their delivery jobs, whatever their number. Nothing is
// written out here (the sender does that), so queueing costs a JSON encoding per email.
func (s *Store) queueEmails(tx *gorm.DB, emails []queuedEmail) error {
	emails = slices.DeleteFunc(slices.Clone(emails), func(e queuedEmail) bool {
		return e.msg.Kind.Marketing() && e.msg.To.EmailOptOut // R13: no invitation or reminder to the opted out
	})
	now := s.Now()
	const insert = "INSERT INTO emails (user_id, program_id, recipient, kind, subject, body_text, body_html, facts, dedupe_key, status, created_at) "
	return chunks(emails, func(part []queuedEmail) error {
		n := len(part)
		users, programs := make([]*int64, n), make([]*int64, n)
		recipients, kinds, facts, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, e := range part {
			b, err := json.Marshal(e.msg)
			if err != nil {
				return fmt.Errorf("queue %s email: %w", e.msg.Kind, err)
			}
			if e.msg.To.ID != 0 {
				users[i] = &e.msg.To.ID
			}
			if e.msg.Program.ID != 0 {
				programs[i] = &e.msg.Program.ID
			}
			recipients[i], kinds[i], facts[i], keys[i] = e.msg.To.Email, string(e.msg.Kind), string(b), e.dedupeKey
		}
		// Under gorm (txQuery), one statement whatever the number: a pay run queues an
		// email for every payout it pays. ON CONFLICT DO NOTHING RETURNING says which
		// rows were new (gorm cannot): only those get a delivery job.
		var (
			query string
			args  []any
		)
		if s.dialect == Postgres {
			query = insert + "SELECT e.u, e.p, e.r, e.k, '', '', '', e.f, e.d, CAST(? AS TEXT), CAST(? AS TIMESTAMPTZ) FROM unnest(" +
				"CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[])) " +
				"WITH ORDINALITY AS e(u, p, r, k, f, d, n) ORDER BY e.n ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
			args = []any{string(EmailQueued), now, users, programs, recipients, kinds, facts, keys}
		} else {
			args = make([]any, 0, n*8)
			for i := range part {
				args = append(args, users[i], programs[i], recipients[i], kinds[i], facts[i], keys[i], string(EmailQueued), now)
			}
			query = insert + "VALUES " + placeholders(n, "?", "?", "?", "?", "''", "''", "''", "?", "?", "?", "?") +
				" ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"
		}
		rows, err := s.txQuery(tx, query, args...)
		ids := make([]int64, 0, n)
		if err == nil {
			err = s.scanAll(tx, rows, func(rows *sql.Rows) error {
				var id int64
				err := rows.Scan(&id)
				ids = append(ids, id)
				return err
			})
		}
		if err != nil {
			return fmt.Errorf("queue %d %s emails: %w", n, part[0].msg.Kind, err)
		}
		return s.enqueueDeliveries(tx, ids)
	})
}

// WriteEmail writes e out with r: its message is rebuilt from the facts kept when it
// was queued, with the recipient and program as they are now. An email the first
// release queued was written out then, and is returned as it was.
func (s *Store) WriteEmail(ctx context.Context, e Email, r EmailRenderer) (EmailContent, error) {
	if e.Facts == nil {
		return EmailContent{Subject: e.Subject, Text: e.BodyText, HTML: e.BodyHTML}, nil
	}
	msg := EmailMessage{Kind: e.Kind, To: User{Email: e.Recipient}}
	if err := json.Unmarshal([]byte(*e.Facts), &msg); err != nil {
		return EmailContent{}, fmt.Errorf("email %d: facts: %w", e.ID, err)
	}
	db := s.db.WithContext(ctx)
	if e.UserID != nil {
		if err := db.Take(&msg.To, *e.UserID).Error; err != nil {
			return EmailContent{}, fmt.Errorf("email %d: recipient %d: %w", e.ID, *e.UserID, err)
		}
	}
	if e.ProgramID != nil {
		if err := db.Take(&msg.Program, *e.ProgramID).Error; err != nil {
			return EmailContent{}, fmt.Errorf("email %d: program %d: %w", e.ID, *e.ProgramID, err)
		}
	}
	content, err := r.RenderEmail(msg)
	if err != nil {
		return EmailContent{}, fmt.Errorf("write out email %d (%s): %w", e.ID, e.Kind, err)
	}
	return content, nil
}

// enqueueDeliveries inserts the jobs that deliver emails ids into tx, the transaction of
// the gorm session tx, so the jobs exist exactly when the emails are queued.
func (s *Store) enqueueDeliveries(tx *gorm.DB, ids []int64) error {
	if s.jobs == nil || len(ids) == 0 {
		return nil
	}
	sqlTx, err := sqlTxOf(tx)
	if err != nil {
		return fmt.Errorf("queue delivery of emails %v: %w", ids, err)
	}
	if err := s.jobs.EnqueueEmails(tx.Statement.Context, sqlTx, ids); err != nil {
		return fmt.Errorf("queue delivery of emails %v: %w", ids, err)
	}
	return nil
}

// ClaimEmail takes queued email id for one delivery attempt: it becomes sending and the
// attempt is counted, in a transaction of its own that commits before anything is sent,
// so no other attempt sends it meanwhile. claimed is false when the email was not
// queued; the email returned then says where it is. A marketing email whose recipient
// has opted out since it was queued is cancelled instead (R13).
func (s *Store) ClaimEmail(ctx context.Context, id int64) (e Email, claimed bool, err error) {
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Email{}).Where("id = ? AND status = ?", id, EmailQueued).
			Where("kind NOT IN ? OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = emails.user_id AND u.email_opt_out)", marketingKinds()).
			Updates(map[string]any{"status": EmailSending, "attempts": gorm.Expr("attempts + 1")})
		if res.Error != nil {
			return res.Error
		}
		claimed = res.RowsAffected == 1
		if !claimed {
			// Still queued means opted out: the only case the claim leaves out.
			err := tx.Model(&Email{}).Where("id = ? AND status = ?", id, EmailQueued).
				Updates(map[string]any{"status": EmailCancelled, "last_error": unsubscribedError}).Error
			if err != nil {
				return err
			}
		}
		return tx.Take(&e, id).Error
	})
	if err != nil {
		return Email{}, false, fmt.Errorf("claim email %d: %w", id, err)
	}
	return e, claimed, nil
}

// unsubscribedError is why a marketing email was cancelled.
const unsubscribedError = "The recipient unsubscribed from marketing email before it was sent."

// marketingKinds are the kinds an opted-out freelancer does not get.
func marketingKinds() []EmailKind {
	return slices.DeleteFunc(EmailKinds(), func(k EmailKind) bool { return !k.Marketing() })
}

// FinishEmailAttempt records how a claimed email's delivery attempt ended: sent, queued
// again for a retry, or failed for good. lastError says why it is not sent (empty once
// sent); content, when the attempt wrote the email out, is kept as what was (or would
// have been) sent. Only an email still sending changes, so an attempt cannot overwrite
// another's outcome; it reports ErrEmailNotSending otherwise.
func (s *Store) FinishEmailAttempt(ctx context.Context, id int64, status EmailStatus, lastError string, content *EmailContent) error {
	changes := map[string]any{"status": status, "last_error": lastError}
	switch status {
	case EmailSent:
		changes["sent_at"] = s.Now()
		changes["last_error"] = ""
	case EmailQueued, EmailFailed:
	default:
		return fmt.Errorf("finish email %d: an attempt cannot end %s", id, status)
	}
	if content != nil {
		changes["subject"], changes["body_text"], changes["body_html"] = content.Subject, content.Text, content.HTML
	}
	res := s.db.WithContext(ctx).Model(&Email{}).Where("id = ? AND status = ?", id, EmailSending).Updates(changes)
	if err := rowsAffected(res, ErrEmailNotSending); err != nil {
		return fmt.Errorf("finish email %d as %s: %w", id, status, err)
	}
	return nil
}

// ErrEmailNotSending: the email is not claimed by a delivery attempt.
var ErrEmailNotSending = errors.New("the email is not being sent")

// ErrEmailNotFailed: only a failed email can be sent again.
var ErrEmailNotFailed = errors.New("the email has not failed")

// RetryEmail puts failed email id back in the queue with a new delivery job, for an admin
// who has checked it was not delivered (its last_error says what happened). The email
// keeps its dedupe key, hence its Message-ID. A second retry of the same failure finds
// it queued already and answers ErrEmailNotFailed.
func (s *Store) RetryEmail(ctx context.Context, actor Actor, id int64) error {
	if err := actor.may(RetryEmails); err != nil {
		return err
	}
	return s.transaction(ctx, func(tx *gorm.DB) error {
		var e Email
		if err := tx.Take(&e, id).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		res := tx.Model(&Email{}).Where("id = ? AND status = ?", id, EmailFailed).Update("status", EmailQueued)
		if err := rowsAffected(res, ErrEmailNotFailed); err != nil {
			return err
		}
		if err := s.enqueueDeliveries(tx, []int64{id}); err != nil {
			return err
		}
		return s.audit(tx, actor, "email.retry", e.DedupeKey, map[string]any{"recipient": e.Recipient, "last_error": e.LastError})
	})
}
