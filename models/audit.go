package models

import (
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Actor is who performs an admin action: a signed-in admin (with the IP they came from)
// or an operator at the command line.
type Actor struct {
	UserID int64 // 0 for the command line
	Label  string
	IP     string
}

// CLIActor is the operator running the referrals command.
func CLIActor() Actor { return Actor{Label: "cli"} }

// AdminActor is a signed-in admin acting from ip.
func AdminActor(u User, ip string) Actor { return Actor{UserID: u.ID, Label: u.Email, IP: ip} }

// AuditEvent records one admin action (R14). The table refuses updates and deletes.
type AuditEvent struct {
	ID        int64
	ActorID   *int64
	Actor     string
	Action    string
	Target    string
	Details   string
	IP        string `gorm:"column:ip"`
	CreatedAt time.Time
}

// audit appends an audit event in tx, so the record and the action commit together.
func (s *Store) audit(tx *gorm.DB, actor Actor, action, target string, details map[string]any) error {
	ev := AuditEvent{Actor: actor.Label, Action: action, Target: target, IP: actor.IP, CreatedAt: s.Now()}
	if actor.UserID != 0 {
		ev.ActorID = &actor.UserID
	}
	if len(details) > 0 {
		b, err := json.Marshal(details)
		if err != nil {
			return fmt.Errorf("audit %s: %w", action, err)
		}
		ev.Details = string(b)
	}
	return tx.Create(&ev).Error
}
