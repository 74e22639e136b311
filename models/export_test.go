package models

// SetPayChunk makes PayBatch pay n payouts per transaction, so a test can break a run
// between two of them.
func (s *Store) SetPayChunk(n int) { s.payChunk = n }
