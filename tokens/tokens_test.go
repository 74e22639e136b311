package tokens_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"referrals/tokens"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func codec(t *testing.T, secret []byte, purpose string) *tokens.Codec {
	t.Helper()
	c, err := tokens.New(secret, purpose)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTokensRoundTripAndAreSafeInAPath(t *testing.T) {
	c := codec(t, secret, tokens.Unsubscribe)
	tok, err := c.Encode(int64(42))
	if err != nil {
		t.Fatal(err)
	}
	if url.PathEscape(tok) != tok {
		t.Errorf("token %q needs escaping in a URL path", tok)
	}
	var got int64
	if err := c.Decode(tok, &got); err != nil || got != 42 {
		t.Fatalf("decoded %d, %v; want 42", got, err)
	}
	// Another instance with the same secret reads it.
	if err := codec(t, secret, tokens.Unsubscribe).Decode(tok, &got); err != nil || got != 42 {
		t.Fatalf("a second codec decoded %d, %v", got, err)
	}
}

func TestTokensRefuseWhatTheyDidNotSign(t *testing.T) {
	c := codec(t, secret, tokens.Unsubscribe)
	tok, err := c.Encode(int64(42))
	if err != nil {
		t.Fatal(err)
	}
	// Flip one character in the middle (the signed value or its MAC).
	mid := len(tok) / 2
	other := "A"
	if tok[mid] == 'A' {
		other = "B"
	}
	flipped := tok[:mid] + other + tok[mid+1:]
	for name, bad := range map[string]string{
		"empty":          "",
		"garbage":        "not-a-token",
		"cut short":      tok[:len(tok)-4],
		"one char off":   flipped,
		"other purpose":  mustEncode(t, codec(t, secret, "something else"), int64(42)),
		"other secret":   mustEncode(t, codec(t, []byte(strings.Repeat("x", 32)), tokens.Unsubscribe), int64(42)),
		"extra appended": tok + "AA",
	} {
		var got int64
		if err := c.Decode(bad, &got); !errors.Is(err, tokens.ErrInvalid) {
			t.Errorf("%s: decoded %d, %v; want ErrInvalid", name, got, err)
		}
	}
}

func TestTokensNeedALongSecret(t *testing.T) {
	if _, err := tokens.New([]byte("short"), tokens.Unsubscribe); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
}

func mustEncode(t *testing.T, c *tokens.Codec, v any) string {
	t.Helper()
	s, err := c.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
