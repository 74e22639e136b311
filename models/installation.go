package models

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"gorm.io/gorm"
)

// installationCache holds the installation id once read.
type installationCache struct {
	mu sync.Mutex
	id string
}

// InstallationID is a random id made once per database, the first time it is asked
// for (several processes asking at once agree on one). It tells this installation's
// Message-IDs apart from every other's: two databases both have an email with the
// dedupe key invitation:1. It never changes, so it is read once per process.
func (s *Store) InstallationID(ctx context.Context) (string, error) {
	s.installation.mu.Lock()
	defer s.installation.mu.Unlock()
	if s.installation.id != "" {
		return s.installation.id, nil
	}
	var id string
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		err := tx.Raw("SELECT id FROM installation").Row().Scan(&id)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		random := make([]byte, 16)
		rand.Read(random)
		if err := tx.Exec("INSERT INTO installation (id) VALUES (?) ON CONFLICT DO NOTHING", hex.EncodeToString(random)).Error; err != nil {
			return err
		}
		return tx.Raw("SELECT id FROM installation").Row().Scan(&id)
	})
	if err != nil {
		return "", fmt.Errorf("read the installation id: %w", err)
	}
	s.installation.id = id
	return id, nil
}
