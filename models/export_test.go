package models

import (
	"context"
	"time"
)

// SetPayChunk makes PayBatch pay n payouts per transaction, so a test can break a run
// between two of them.
func (s *Store) SetPayChunk(n int) { s.payChunk = n }

// MigrateSchemaDownTo undoes the app's migrations after version, for tests of a
// migration's effect on rows that existed before it.
func (s *Store) MigrateSchemaDownTo(ctx context.Context, version int64) error {
	p, err := s.schemaMigrations()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// BuildActivity is buildActivity with the clicks per day written YYYY-MM-DD in p's zone,
// as the tests write them.
func BuildActivity(p Program, now time.Time, clicks map[string]int64, signedUp, qualified []time.Time) Activity {
	days := make([]dayClicks, 0, len(clicks))
	for day, n := range clicks {
		if d, ok := parseDayNumber(day); ok {
			days = append(days, dayClicks{d, n})
		}
	}
	return buildActivity(p, now, days, signedUp, qualified)
}
