package handlers

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// sessionSerializer writes a session's values in a small binary form instead of gob,
// securecookie's default. Every signed-in request decodes the session cookie, and gob
// decoding (a new decoder that reads the types' descriptions each time) was 7% of the
// server's CPU per dashboard (issue 15's profile); this form costs a few dozen
// nanoseconds and makes the cookie shorter.
//
// A session holds string keys (the key* constants) with int64 or string values, written
// one after the other after a format byte:
//
//	format byte, then per value: key (a one-byte tag for a known key, or 0 and the
//	key as a length-prefixed string), kind ('i' varint | 's' length-prefixed bytes)
//
// Cookies written by earlier versions (gob) do not start with the format byte, so they
// fail to decode, and a cookie that fails to decode is a new, empty session: people
// signed in before the change are signed out once.
type sessionSerializer struct{}

// sessionFormat starts every serialized session (gob never writes it first: a gob
// stream starts with a message length).
const sessionFormat = 0xA1

// sessionKeys are the tags of the keys sessions hold; a key not listed is written out.
// Tags are part of the cookie format: never reuse or renumber one.
var sessionKeys = []string{
	1: keyUserID, 2: keyVersion, 3: keyIssuedAt, 4: keySeenAt, 5: keyFlash, 6: keyFlashAs, 7: keyCSRF,
	8: keyPendingUser, 9: keyPendingVersion, 10: keyPendingAt, 11: keyPendingNext, 12: keyEnrolSecret,
	13: keyWebhookSecret,
}

// sessionKeyTags is sessionKeys reversed.
var sessionKeyTags = func() map[string]byte {
	m := make(map[string]byte, len(sessionKeys))
	for tag, key := range sessionKeys {
		if key != "" {
			m[key] = byte(tag)
		}
	}
	return m
}()

// maxSessionValue bounds a string read back (a cookie is at most 4 KB anyway).
const maxSessionValue = 4096

// Serialize writes the session's values; anything but string keys with int64 or string
// values is a programming mistake, refused.
func (sessionSerializer) Serialize(src any) ([]byte, error) {
	values, ok := src.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("session values: %T", src)
	}
	b := make([]byte, 0, 96)
	b = append(b, sessionFormat)
	for k, v := range values {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("session key %v: not a string", k)
		}
		if tag, ok := sessionKeyTags[key]; ok {
			b = append(b, tag)
		} else {
			b = append(b, 0)
			b = binary.AppendUvarint(b, uint64(len(key)))
			b = append(b, key...)
		}
		switch v := v.(type) {
		case int64:
			b = append(b, 'i')
			b = binary.AppendVarint(b, v)
		case string:
			b = append(b, 's')
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		default:
			return nil, fmt.Errorf("session value of %s: %T, not int64 or string", key, v)
		}
	}
	return b, nil
}

var errSessionFormat = errors.New("session cookie: not in the current format")

// Deserialize reads values written by Serialize into dst, a *map[any]any.
func (sessionSerializer) Deserialize(src []byte, dst any) error {
	values, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("session values: %T", dst)
	}
	if len(src) == 0 || src[0] != sessionFormat {
		return errSessionFormat
	}
	out := make(map[any]any, 8)
	for b := src[1:]; len(b) > 0; {
		var key string
		tag := b[0]
		b = b[1:]
		if tag == 0 {
			s, rest, ok := readSessionString(b)
			if !ok {
				return errSessionFormat
			}
			key, b = s, rest
		} else if int(tag) < len(sessionKeys) && sessionKeys[tag] != "" {
			key = sessionKeys[tag]
		} else {
			return errSessionFormat
		}
		if len(b) == 0 {
			return errSessionFormat
		}
		kind := b[0]
		b = b[1:]
		switch kind {
		case 'i':
			v, n := binary.Varint(b)
			if n <= 0 {
				return errSessionFormat
			}
			out[key], b = v, b[n:]
		case 's':
			s, rest, ok := readSessionString(b)
			if !ok {
				return errSessionFormat
			}
			out[key], b = s, rest
		default:
			return errSessionFormat
		}
	}
	*values = out
	return nil
}

// readSessionString reads a length-prefixed string.
func readSessionString(b []byte) (string, []byte, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > maxSessionValue || uint64(len(b)-w) < n {
		return "", nil, false
	}
	return string(b[w : w+int(n)]), b[w+int(n):], true
}
