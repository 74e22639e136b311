package models

import (
	"errors"
	"sort"
	"strings"
)

var (
	// ErrNotFound: no such object, or not one the caller may see (R15 answers both alike).
	ErrNotFound = errors.New("not found")
	// ErrEmailTaken: an account (of any kind) already has this email.
	ErrEmailTaken = errors.New("an account with this email already exists")
	// ErrBadCredentials: the email or the password is wrong; which one is not said.
	ErrBadCredentials = errors.New("email or password is incorrect")
	// ErrTooManyAttempts: sign-in is paused after repeated failures.
	ErrTooManyAttempts = errors.New("too many failed sign-in attempts; try again in a few minutes")
	// ErrAlreadyDecided: the payout was approved or rejected before; the first decision
	// stands and this one changed nothing (R10).
	ErrAlreadyDecided = errors.New("already decided")
)

// FieldErrors maps an input field's name to what is wrong with it. It is the error a
// validation returns, so a form can show each message beside its field and the CLI can
// print them on one line.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+fe[k])
	}
	return strings.Join(parts, "; ")
}

// Add records msg for field unless the field already has a message.
func (fe FieldErrors) Add(field, msg string) {
	if _, ok := fe[field]; !ok {
		fe[field] = msg
	}
}

// Err is fe as an error, or nil when there is nothing wrong.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// AsFieldErrors reports whether err carries field errors, and returns them.
func AsFieldErrors(err error) (FieldErrors, bool) {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe, true
	}
	return nil, false
}
