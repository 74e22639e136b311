package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Rate limits of the anonymous forms (sign-in, sign-in links, sign-up) count attempts in
// the sign_in_failures table, one row per attempt and bucket (a bucket names what is
// limited: an account, an address, or both), so the limits hold across instances.

// signInWindow is how long an attempt counts against its buckets.
const signInWindow = 15 * time.Minute

// attemptRetention is how long a row of sign_in_failures is kept: the longest window any
// bucket is counted over (a limit with a longer window must raise it). Every new row
// purges those older than this, so the table holds about one window's attempts however
// many addresses and accounts come and go.
const attemptRetention = signInWindow

type signInFailure struct {
	ID        int64
	Bucket    string
	CreatedAt time.Time
}

func (signInFailure) TableName() string { return "sign_in_failures" }

// attemptsSince counts the attempts in each of the buckets since the given time (buckets
// without any are absent).
func attemptsSince(db *gorm.DB, since time.Time, buckets ...string) (map[string]int64, error) {
	var counts []struct {
		Bucket   string
		Attempts int64
	}
	err := db.Model(&signInFailure{}).Select("bucket, COUNT(*) AS attempts").
		Where("bucket IN ? AND created_at > ?", buckets, since).Group("bucket").Find(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("count attempts: %w", err)
	}
	out := make(map[string]int64, len(counts))
	for _, c := range counts {
		out[c.Bucket] = c.Attempts
	}
	return out, nil
}

// recordAttempt counts one attempt at now against each bucket, and purges the rows older
// than attemptRetention (an index range on created_at: the few rows that aged out since
// the last attempt).
func recordAttempt(tx *gorm.DB, now time.Time, buckets ...string) error {
	rows := make([]signInFailure, len(buckets))
	for i, b := range buckets {
		rows[i] = signInFailure{Bucket: b, CreatedAt: now}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("record attempt: %w", err)
	}
	if err := tx.Where("created_at <= ?", now.Add(-attemptRetention)).Delete(&signInFailure{}).Error; err != nil {
		return fmt.Errorf("purge old attempts: %w", err)
	}
	return nil
}
