package models

import (
	"context"
	"database/sql"
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

// auditRecord is one action for auditAll. Its details are a map, or, on a hot path,
// encoded: the JSON json.Marshal would write for them, written by hand.
type auditRecord struct {
	action, target string
	details        map[string]any
	encoded        string
}

// auditAll appends one audit event per record in tx, with one multi-row insert. Inside
// a transaction it goes under gorm (txQuery): a pay run audits every payout it pays.
func (s *Store) auditAll(tx *gorm.DB, actor Actor, records []auditRecord) error {
	now := s.Now()
	events := make([]AuditEvent, len(records))
	for i, r := range records {
		events[i] = AuditEvent{ActorID: actor.userRef(), Actor: actor.Label, Action: r.action, Target: r.target, IP: actor.IP, CreatedAt: now, Details: r.encoded}
		if len(r.details) > 0 {
			b, err := json.Marshal(r.details)
			if err != nil {
				return fmt.Errorf("audit %s: %w", r.action, err)
			}
			events[i].Details = string(b)
		}
	}
	if _, err := sqlTxOf(tx); err != nil {
		return chunks(events, func(part []AuditEvent) error { return tx.Create(&part).Error })
	}
	const insert = "INSERT INTO audit_events (actor_id, actor, action, target, details, ip, created_at) "
	return chunks(events, func(part []AuditEvent) error {
		var (
			query string
			args  []any
		)
		if s.dialect == Postgres {
			actions, targets, details := make([]string, len(part)), make([]string, len(part)), make([]string, len(part))
			for i, e := range part {
				actions[i], targets[i], details[i] = e.Action, e.Target, e.Details
			}
			query = insert + "SELECT CAST(? AS BIGINT), CAST(? AS TEXT), a.a, a.t, a.d, CAST(? AS TEXT), CAST(? AS TIMESTAMPTZ) " +
				"FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[])) AS a(a, t, d)"
			args = []any{actor.userRef(), actor.Label, actor.IP, now, actions, targets, details}
		} else {
			args = make([]any, 0, len(part)*7)
			for _, e := range part {
				args = append(args, e.ActorID, e.Actor, e.Action, e.Target, e.Details, e.IP, e.CreatedAt)
			}
			query = insert + "VALUES " + placeholders(len(part), "?", "?", "?", "?", "?", "?", "?")
		}
		rows, err := s.txQuery(tx, query, args...)
		if err == nil {
			err = s.scanAll(tx, rows, func(*sql.Rows) error { return nil })
		}
		if err != nil {
			return fmt.Errorf("audit %d %s: %w", len(part), part[0].Action, err)
		}
		return nil
	})
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

// filtered is the events f chooses, unordered.
func (f AuditFilter) filtered(db *gorm.DB) *gorm.DB {
	q := db.Model(&AuditEvent{})
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if strings.TrimSpace(f.Actor) != "" {
		q = q.Where("LOWER(actor) LIKE ?"+likeEscape, containsPattern(f.Actor))
	}
	return q
}

// AuditLog lists audit events, the most recent first (R14), counted up to CountCap.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) (Page[AuditEvent], error) {
	q := f.filtered(s.db.WithContext(ctx))
	var events []AuditEvent
	more, err := findPage(q.Session(&gorm.Session{}).Order("created_at DESC, id DESC"), f.Paging, &events)
	if err != nil {
		return Page[AuditEvent]{}, fmt.Errorf("list audit events: %w", err)
	}
	page := newPage(events, 0, f.Paging)
	page.More = more
	if page.Total, page.Capped, err = cappedCount(q); err != nil {
		return Page[AuditEvent]{}, fmt.Errorf("count audit events: %w", err)
	}
	return page, nil
}

// EachAuditEvent calls fn with every event f chooses, the most recent first, reading the
// rows one at a time. f.Paging is ignored.
func (s *Store) EachAuditEvent(ctx context.Context, f AuditFilter, fn func(AuditEvent) error) error {
	q := f.filtered(s.db.WithContext(ctx)).Order("created_at DESC, id DESC")
	return eachRow(q, func(e *AuditEvent) error { return fn(*e) })
}

// AuditActions lists the actions the log holds, for its filter. It hops from one action
// to the next through the (action, created_at) index, so it reads as many index entries
// as there are actions, not events.
func (s *Store) AuditActions(ctx context.Context) ([]string, error) {
	var actions []string
	err := s.db.WithContext(ctx).Raw(`WITH RECURSIVE a(action) AS (
			SELECT MIN(action) FROM audit_events
			UNION ALL
			SELECT (SELECT MIN(e.action) FROM audit_events e WHERE e.action > a.action) FROM a WHERE a.action IS NOT NULL
		) SELECT action FROM a WHERE action IS NOT NULL`).Scan(&actions).Error
	return actions, err
}
