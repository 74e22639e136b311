package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Delivery is one signed request of the machine API. Its signature verifies until its
// timestamp leaves the tolerance, so within that time a captured request could be sent
// again: each delivery is applied at most once, checked in the transaction that applies
// it (a request that fails applies nothing and may be sent again).
type Delivery struct {
	// Signature identifies the request: the MAC of its timestamp and body.
	Signature string
	// Expires is when the signature stops verifying; it is forgotten then.
	Expires time.Time
}

// ErrReplay: this delivery was applied already.
var ErrReplay = errors.New("this signed request was already received")

type apiSignature struct {
	Signature string `gorm:"primaryKey"`
	ExpiresAt time.Time
}

func (apiSignature) TableName() string { return "api_signatures" }

// claimDelivery records d in tx, or answers ErrReplay when it is there already (applied
// by a transaction that committed; a concurrent one waits for it on the primary key).
// Signatures that expired are purged first. A zero Delivery (the command line, the
// demo) claims nothing.
func claimDelivery(tx *gorm.DB, d Delivery, now time.Time) error {
	if d.Signature == "" {
		return nil
	}
	if err := tx.Where("expires_at < ?", now).Delete(&apiSignature{}).Error; err != nil {
		return fmt.Errorf("purge expired signatures: %w", err)
	}
	var claimed []string
	err := rawScan(tx, &claimed, "INSERT INTO api_signatures (signature, expires_at) VALUES (?, ?) "+
		"ON CONFLICT (signature) DO NOTHING RETURNING signature", d.Signature, d.Expires)
	if err != nil {
		return fmt.Errorf("record the request's signature: %w", err)
	}
	if len(claimed) == 0 {
		return ErrReplay
	}
	return nil
}

// RecordEarningsDelivery is RecordEarnings for a signed delivery: a replay of d applies
// nothing and answers ErrReplay.
func (s *Store) RecordEarningsDelivery(ctx context.Context, d Delivery, events []EarningEvent) ([]EventResult, error) {
	return applyOnce(s, ctx, d, func(tx *gorm.DB) ([]EventResult, error) { return s.recordEarnings(tx, events) })
}

// UpsertFreelancersDelivery is UpsertFreelancers for a signed delivery: a replay of d
// applies nothing and answers ErrReplay.
func (s *Store) UpsertFreelancersDelivery(ctx context.Context, d Delivery, profiles []FreelancerProfile) ([]ProfileResult, error) {
	return applyOnce(s, ctx, d, func(tx *gorm.DB) ([]ProfileResult, error) { return s.upsertFreelancers(tx, profiles) })
}

// applyOnce runs apply in one transaction that first claims d.
func applyOnce[T any](s *Store, ctx context.Context, d Delivery, apply func(tx *gorm.DB) (T, error)) (T, error) {
	var out T
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		if err := claimDelivery(tx, d, s.Now()); err != nil {
			return err
		}
		var err error
		out, err = apply(tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}
