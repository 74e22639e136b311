// Package tokens signs small values into URL-safe tokens and reads them back, refusing
// any token it did not sign: for values in links that only the app can have written
// (the one-click unsubscribe links of marketing email, emailed sign-in links).
//
// A token is gorilla/securecookie's encoding of the value (JSON), signed with
// HMAC-SHA256 under a key of its own per purpose, derived from the session secret with
// HKDF. So every instance with the same SESSION_SECRET reads every other's tokens, and a
// token made for one purpose is refused for another. Tokens do not expire by themselves
// (securecookie's age check is off): a purpose whose tokens must expire carries the
// expiry in the value and checks it after Decode.
package tokens

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"

	"github.com/gorilla/securecookie"
)

// Purposes, one per kind of link; each keys its tokens apart from the others'.
const (
	// Unsubscribe tokens carry a user id: the one-click unsubscribe link of marketing
	// email (RFC 8058). They never expire: an old email's link must keep working.
	Unsubscribe = "unsubscribe"
	// SignInLink tokens carry a user id, the user's session version and an expiry: the
	// passwordless sign-in link, which works once (using it bumps the version) and
	// until its expiry.
	SignInLink = "sign-in link"
)

// ErrInvalid: the token is not one this codec signed (mistyped, cut short, tampered
// with, or made for another purpose or under another secret).
var ErrInvalid = errors.New("not a valid token")

// Codec signs and reads the tokens of one purpose.
type Codec struct {
	purpose string
	sc      *securecookie.SecureCookie
}

// New makes the codec of purpose under secret (the session secret).
func New(secret []byte, purpose string) (*Codec, error) {
	if len(secret) < 32 {
		return nil, errors.New("tokens: the secret must be at least 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "referrals token "+purpose, 32)
	if err != nil {
		return nil, err
	}
	sc := securecookie.New(key, nil).MaxAge(0).SetSerializer(securecookie.JSONEncoder{})
	return &Codec{purpose: purpose, sc: sc}, nil
}

// Encode signs value (anything encoding/json writes) into a token that is safe in a URL
// path.
func (c *Codec) Encode(value any) (string, error) {
	return c.sc.Encode(c.purpose, value)
}

// Decode reads token into dst (a pointer), or answers ErrInvalid when the codec did
// not sign it.
func (c *Codec) Decode(token string, dst any) error {
	if err := c.sc.Decode(c.purpose, token, dst); err != nil {
		return ErrInvalid
	}
	return nil
}
