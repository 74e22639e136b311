package models

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// Unsubscribe turns off marketing email for user id (R13) at once, the way RFC 8058's
// one-click unsubscribe asks: email_opt_out is set and every invitation or reminder still
// queued for them is cancelled, in one transaction. It sticks: the marketplace's profile
// sync cannot undo it (unsubscribed_at), only the person in /settings. It needs no session: the signed
// token of the link is the authority, checked by the caller. The user acted, from ip,
// and the audit log says so; repeating it (mail providers may post twice) changes
// nothing and records nothing. Unknown ids answer ErrNotFound.
func (s *Store) Unsubscribe(ctx context.Context, id int64, ip string) (User, error) {
	var u User
	err := s.transaction(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&u, id).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		now := s.Now()
		res := tx.Model(&User{}).Where("id = ? AND (NOT email_opt_out OR unsubscribed_at IS NULL)", id).
			Updates(map[string]any{"email_opt_out": true, "unsubscribed_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		optedOut := res.RowsAffected == 1
		cancel := tx.Model(&Email{}).Where("user_id = ? AND status = ? AND kind IN ?", id, EmailQueued, marketingKinds()).
			Updates(map[string]any{"status": EmailCancelled, "last_error": unsubscribedError})
		if cancel.Error != nil {
			return cancel.Error
		}
		if !optedOut && cancel.RowsAffected == 0 {
			return nil
		}
		u.EmailOptOut = true
		actor := Actor{UserID: u.ID, Label: u.Email, IP: ip}
		return s.audit(tx, actor, "email.unsubscribe", userTarget(u.ID), map[string]any{"cancelled_emails": cancel.RowsAffected})
	})
	if err != nil {
		return User{}, fmt.Errorf("unsubscribe user %d: %w", id, err)
	}
	return u, nil
}

// userTarget names a user in the audit log.
func userTarget(id int64) string { return fmt.Sprintf("user:%d", id) }
