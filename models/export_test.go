package models

import "context"

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
