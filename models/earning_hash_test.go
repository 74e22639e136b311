package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// payloadHashJSON is payloadHash as earlier releases made it, through encoding/json.
func (c checkedEarning) payloadHashJSON(email string) string {
	occurred := c.on
	if occurred == "" {
		occurred = c.at.Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal([]any{c.id, email, c.amount, c.currency, strings.ToLower(c.category), c.clientID, occurred})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestPayloadHashIsStable: the hashes stored by earlier releases must keep matching, or a
// redelivery of an event stored then would be refused as a conflict (R7). The hand-written
// encoding gives encoding/json's bytes, for text that needs escaping too.
func TestPayloadHashIsStable(t *testing.T) {
	texts := []string{"", "evt_1", "maria@example.com", "Customer Service", `a"b\c`, "<b>&amp;</b>", "café", "日本",
		"tab\there", "line\u2028sep", "del\x7f", "\xff bad utf-8", "USD", "2019-03-01", "emoji 😀"}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return texts[r.IntN(len(texts))] }
	for range 2000 {
		c := checkedEarning{id: pick(), amount: r.Int64N(2_000_000) - 1_000_000, currency: pick(), category: pick(), clientID: pick()}
		if r.IntN(2) == 0 {
			c.on = pick()
		} else {
			c.at = time.Unix(r.Int64N(2e9), r.Int64N(1e9)).UTC()
		}
		email := pick()
		if got, want := c.payloadHash(email), c.payloadHashJSON(email); got != want {
			t.Fatalf("payloadHash(%+v, %q) = %s, encoding/json gives %s", c, email, got, want)
		}
	}
	for _, s := range texts {
		b, _ := json.Marshal(s)
		if got := string(appendJSONString(nil, s)); got != string(b) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, b)
		}
	}
}
