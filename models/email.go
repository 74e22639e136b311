package models

import (
	"context"
	"database/sql"
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
)

// EmailStatuses lists every status, in delivery order.
func EmailStatuses() []EmailStatus {
	return []EmailStatus{EmailQueued, EmailSending, EmailSent, EmailFailed}
}

// Email is one message in the outbox. Its dedupe key is unique, so whatever causes it
// twice queues it once.
type Email struct {
	ID        int64
	UserID    *int64
	Recipient string
	Kind      EmailKind
	Subject   string
	BodyText  string
	BodyHTML  string
	DedupeKey string
	Status    EmailStatus
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    *time.Time
}

// EmailMessage is what an email says, before it is written out: its kind, its recipient
// and the facts its template needs. Fields a kind does not use stay zero.
type EmailMessage struct {
	Kind    EmailKind
	To      User
	Program Program
	// InviteCode makes the invite link (invitation, reminder).
	InviteCode string
	// FriendName is the referred friend (joined, qualified, paid).
	FriendName  string
	AmountCents int64
	// DueDate is when an approved credit will be paid at the latest.
	DueDate time.Time
	// Reason is why a credit was rejected.
	Reason string
	// Link is the signed sign-in link, and Expires when it stops working (sign-in link).
	Link    string
	Expires time.Time
}

// EmailContent is an email written out.
type EmailContent struct {
	Subject string
	Text    string
	HTML    string
}

// EmailRenderer writes out messages. The views implement it, so the models stay free of
// templates while every email is written when it is queued, in the same transaction.
type EmailRenderer interface {
	RenderEmail(EmailMessage) (EmailContent, error)
}

// queueEmail renders msg and adds it to the outbox in tx, with the job that delivers it,
// so both exist exactly when the change that causes them commits (R13). A second email
// with the same dedupe key is dropped, job and all, so reruns and redeliveries never
// queue twice.
func (s *Store) queueEmail(tx *gorm.DB, dedupeKey string, msg EmailMessage) error {
	return s.queueEmails(tx, []queuedEmail{{dedupeKey: dedupeKey, msg: msg}})
}

// queuedEmail is one message for queueEmails, with the key that makes it unique.
type queuedEmail struct {
	dedupeKey string
	msg       EmailMessage
}

// queueEmails is queueEmail for many messages at once: one multi-row insert of the
// outbox rows and one of their delivery jobs, whatever their number.
func (s *Store) queueEmails(tx *gorm.DB, emails []queuedEmail) error {
	emails = slices.DeleteFunc(slices.Clone(emails), func(e queuedEmail) bool {
		return e.msg.Kind.Marketing() && e.msg.To.EmailOptOut // R13: no invitation or reminder to the opted out
	})
	now := s.Now()
	const columns = 9
	return chunks(emails, func(part []queuedEmail) error {
		args := make([]any, 0, len(part)*columns)
		for _, e := range part {
			content, err := s.emails.RenderEmail(e.msg)
			if err != nil {
				return fmt.Errorf("render %s email: %w", e.msg.Kind, err)
			}
			var userID *int64
			if e.msg.To.ID != 0 {
				userID = &e.msg.To.ID
			}
			args = append(args, userID, e.msg.To.Email, string(e.msg.Kind), content.Subject, content.Text, content.HTML, e.dedupeKey, string(EmailQueued), now)
		}
		// Raw SQL: gorm cannot say which rows of a multi-row insert were skipped.
		var ids []int64
		err := rawScan(tx, &ids, "INSERT INTO emails (user_id, recipient, kind, subject, body_text, body_html, dedupe_key, status, created_at) VALUES "+
			placeholders(len(part), slices.Repeat([]string{"?"}, columns)...)+" ON CONFLICT (dedupe_key) DO NOTHING RETURNING id", args...)
		if err != nil {
			return fmt.Errorf("queue %d %s emails: %w", len(part), part[0].msg.Kind, err)
		}
		return s.enqueueDeliveries(tx, ids)
	})
}

// enqueueDeliveries inserts the jobs that deliver emails ids into tx, the transaction of
// the gorm session tx, so the jobs exist exactly when the emails are queued.
func (s *Store) enqueueDeliveries(tx *gorm.DB, ids []int64) error {
	if s.jobs == nil || len(ids) == 0 {
		return nil
	}
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return fmt.Errorf("queue delivery of emails %v: not inside a transaction", ids)
	}
	if err := s.jobs.EnqueueEmails(tx.Statement.Context, sqlTx, ids); err != nil {
		return fmt.Errorf("queue delivery of emails %v: %w", ids, err)
	}
	return nil
}

// ClaimEmail takes queued email id for one delivery attempt: it becomes sending and the
// attempt is counted, in a transaction of its own that commits before anything is sent,
// so no other attempt sends it meanwhile. claimed is false when the email was not
// queued; the email returned then says where it is.
func (s *Store) ClaimEmail(ctx context.Context, id int64) (e Email, claimed bool, err error) {
	err = s.transaction(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Email{}).Where("id = ? AND status = ?", id, EmailQueued).
			Updates(map[string]any{"status": EmailSending, "attempts": gorm.Expr("attempts + 1")})
		if res.Error != nil {
			return res.Error
		}
		claimed = res.RowsAffected == 1
		return tx.Take(&e, id).Error
	})
	if err != nil {
		return Email{}, false, fmt.Errorf("claim email %d: %w", id, err)
	}
	return e, claimed, nil
}

// FinishEmailAttempt records how a claimed email's delivery attempt ended: sent, queued
// again for a retry, or failed for good. lastError says why it is not sent (empty once
// sent). Only an email still sending changes, so an attempt cannot overwrite another's
// outcome; it reports ErrEmailNotSending otherwise.
func (s *Store) FinishEmailAttempt(ctx context.Context, id int64, status EmailStatus, lastError string) error {
	changes := map[string]any{"status": status, "last_error": lastError}
	switch status {
	case EmailSent:
		changes["sent_at"] = s.Now()
		changes["last_error"] = ""
	case EmailQueued, EmailFailed:
	default:
		return fmt.Errorf("finish email %d: an attempt cannot end %s", id, status)
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
