package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Actor is who performs a staff action: a signed-in member of staff (with the IP they
// came from) or an operator at the command line. Every Store method that changes money
// or settings takes one and refuses it (ForbiddenError) unless its Role may.
type Actor struct {
	UserID int64 // 0 for the command line
	Label  string
	Role   Role
	IP     string
}

// CLIActor is the operator running the referrals command, who holds the database's keys
// and so may do anything an owner may.
func CLIActor() Actor { return SystemActor("cli") }

// SystemActor is the product itself doing what its owners set up (the command line, a
// scheduled job), named label in the audit log. It may do anything an owner may.
func SystemActor(label string) Actor { return Actor{Label: label, Role: RoleOwner} }

// StaffActor is a signed-in user acting from ip, with the role they have.
func StaffActor(u User, ip string) Actor {
	return Actor{UserID: u.ID, Label: u.Email, Role: u.Role, IP: ip}
}

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
	return s.auditAll(tx, actor, []auditRecord{{action: action, target: target, details: details}})
}

// auditRecord is one action for auditAll.
type auditRecord struct {
	action, target string
	details        map[string]any
}

// auditAll appends one audit event per record in tx, with one multi-row insert.
func (s *Store) auditAll(tx *gorm.DB, actor Actor, records []auditRecord) error {
	now := s.Now()
	events := make([]AuditEvent, len(records))
	for i, r := range records {
		events[i] = AuditEvent{ActorID: actor.userRef(), Actor: actor.Label, Action: r.action, Target: r.target, IP: actor.IP, CreatedAt: now}
		if len(r.details) > 0 {
			b, err := json.Marshal(r.details)
			if err != nil {
				return fmt.Errorf("audit %s: %w", r.action, err)
			}
			events[i].Details = string(b)
		}
	}
	return chunks(events, func(part []AuditEvent) error { return tx.Create(&part).Error })
}

// userRef is the actor's user id for a column that references users, or nil for the
// command line.
func (a Actor) userRef() *int64 {
	if a.UserID == 0 {
		return nil
	}
	return &a.UserID
}

// AuditFilter chooses the events of the audit log.
type AuditFilter struct {
	// Action keeps one action, e.g. payout.approve; "" keeps all.
	Action string
	// Actor keeps events whose actor (an admin's email, or cli) contains this text.
	Actor  string
	Paging Paging
}

// AuditLog lists audit events, the most recent first (R14).
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) (Page[AuditEvent], error) {
	q := s.db.WithContext(ctx).Model(&AuditEvent{})
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if strings.TrimSpace(f.Actor) != "" {
		q = q.Where("LOWER(actor) LIKE ?"+likeEscape, containsPattern(f.Actor))
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return Page[AuditEvent]{}, fmt.Errorf("count audit events: %w", err)
	}
	var events []AuditEvent
	if err := q.Order("created_at DESC, id DESC").Offset(f.Paging.Offset()).Limit(f.Paging.Limit()).Find(&events).Error; err != nil {
		return Page[AuditEvent]{}, fmt.Errorf("list audit events: %w", err)
	}
	return newPage(events, total, f.Paging), nil
}

// AuditActions lists the actions the log holds, for its filter.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	var actions []string
	err := s.db.WithContext(ctx).Model(&AuditEvent{}).Distinct("action").Order("action").Pluck("action", &actions).Error
	return actions, err
}
