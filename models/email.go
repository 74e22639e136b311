package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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
)

// EmailKinds lists every kind, in the order of a referral's life, then the account's.
func EmailKinds() []EmailKind {
	return []EmailKind{EmailInvitation, EmailReminder, EmailFriendJoined, EmailFriendQualified, EmailCreditApproved, EmailCreditRejected, EmailCreditPaid, EmailSignInLink}
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
	if msg.Kind.Marketing() && msg.To.EmailOptOut {
		return nil // R13: opted-out freelancers get no invitation or reminder
	}
	content, err := s.emails.RenderEmail(msg)
	if err != nil {
		return fmt.Errorf("render %s email: %w", msg.Kind, err)
	}
	row := Email{
		Recipient: msg.To.Email,
		Kind:      msg.Kind,
		Subject:   content.Subject,
		BodyText:  content.Text,
		BodyHTML:  content.HTML,
		DedupeKey: dedupeKey,
		Status:    EmailQueued,
		CreatedAt: s.Now(),
	}
	if msg.To.ID != 0 {
		row.UserID = &msg.To.ID
	}
	res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).Create(&row)
	if res.Error != nil {
		return fmt.Errorf("queue %s email to %s: %w", msg.Kind, msg.To.Email, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil
	}
	return s.enqueueDelivery(tx, row.ID)
}

// enqueueDelivery inserts the job that delivers email id into tx, the transaction of
// the gorm session tx, so the job exists exactly when the email is queued.
func (s *Store) enqueueDelivery(tx *gorm.DB, id int64) error {
	if s.jobs == nil {
		return nil
	}
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return fmt.Errorf("queue delivery of email %d: not inside a transaction", id)
	}
	if err := s.jobs.EnqueueEmail(tx.Statement.Context, sqlTx, id); err != nil {
		return fmt.Errorf("queue delivery of email %d: %w", id, err)
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
		if err := s.enqueueDelivery(tx, id); err != nil {
			return err
		}
		return s.audit(tx, actor, "email.retry", e.DedupeKey, map[string]any{"recipient": e.Recipient, "last_error": e.LastError})
	})
}
