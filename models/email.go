package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// EmailKind names the five emails of R13.
type EmailKind string

const (
	EmailInvitation      EmailKind = "invitation"
	EmailReminder        EmailKind = "reminder"
	EmailFriendJoined    EmailKind = "friend_joined"
	EmailFriendQualified EmailKind = "friend_qualified"
	EmailCreditPaid      EmailKind = "credit_paid"
)

// Marketing reports whether an opted-out freelancer must not get this kind; the others
// are transactional (R13).
func (k EmailKind) Marketing() bool { return k == EmailInvitation || k == EmailReminder }

// EmailStatus is where an email is in delivery.
type EmailStatus string

const (
	EmailQueued EmailStatus = "queued"
	EmailSent   EmailStatus = "sent"
	EmailFailed EmailStatus = "failed"
)

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

// queueEmail renders msg and adds it to the outbox in tx, so the email exists exactly when
// the change that causes it commits (R13). A second email with the same dedupe key is
// dropped, so reruns and redeliveries never queue twice.
func (s *Store) queueEmail(tx *gorm.DB, dedupeKey string, msg EmailMessage) error {
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
	return tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedupe_key"}}, DoNothing: true}).Create(&row).Error
}
