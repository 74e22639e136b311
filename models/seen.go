package models

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm/clause"
)

// Addresses seen while signed in (R12's same_ip): every signed-in request reports its
// address, and each user's address is written at most once a day. The write is an
// INSERT ... ON CONFLICT DO NOTHING, so instances racing on one pair agree; within an
// instance, a set of the pairs already written today spares the hot path (every page
// of a signed-in user) any statement after the first.

// seenDaily is the in-process set of (user, address) pairs written on day.
type seenDaily struct {
	mu   sync.Mutex
	day  string
	done map[seenPair]struct{}
}

type seenPair struct {
	userID int64
	ip     string
}

// maxSeenPairs bounds the set's memory (some 100 bytes a pair): past it the set starts
// over, which costs at most one more idempotent write per pair.
const maxSeenPairs = 200_000

// has reports whether p was written on day, forgetting earlier days.
func (s *seenDaily) has(day string, p seenPair) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.day != day || len(s.done) >= maxSeenPairs {
		s.day, s.done = day, map[seenPair]struct{}{}
	}
	_, ok := s.done[p]
	return ok
}

func (s *seenDaily) add(day string, p seenPair) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.day == day {
		s.done[p] = struct{}{}
	}
}

type userIPDay struct {
	UserID int64  `gorm:"primaryKey"`
	IP     string `gorm:"primaryKey;column:ip"`
	Day    string `gorm:"primaryKey"`
}

func (userIPDay) TableName() string { return "user_ip_days" }

// RecordSeen notes that the signed-in user made a request from ip today (UTC).
func (s *Store) RecordSeen(ctx context.Context, userID int64, ip string) error {
	if ip == "" {
		return nil
	}
	day := s.Now().Format(time.DateOnly)
	pair := seenPair{userID, ip}
	if s.seen.has(day, pair) {
		return nil
	}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&userIPDay{UserID: userID, IP: ip, Day: day}).Error
	if err != nil {
		return fmt.Errorf("record user %d seen at %s: %w", userID, ip, err)
	}
	s.seen.add(day, pair)
	return nil
}
