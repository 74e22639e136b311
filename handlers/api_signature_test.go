package handlers

import (
	"strings"
	"testing"
	"time"
)

func TestParseSignature(t *testing.T) {
	body := []byte(`{"events":[]}`)
	at := time.Unix(1551459600, 0)
	good := Sign("secret", at, body)
	sig, err := ParseSignature(good)
	if err != nil || sig.Timestamp != "1551459600" || !sig.Time.Equal(at) || !sig.Verify("secret", body) {
		t.Fatalf("%+v, %v", sig, err)
	}
	if sig.Verify("other", body) || sig.Verify("secret", append(body, ' ')) {
		t.Error("verified with another secret or body")
	}
	// Several v1 (a secret being rotated), spaces and unknown keys.
	rotated := " t=1551459600 , v1=" + strings.Repeat("ab", 32) + ", v0=zz ," + strings.TrimPrefix(good, "t=1551459600,")
	if sig, err := ParseSignature(rotated); err != nil || !sig.Verify("secret", body) {
		t.Errorf("rotated header: %v", err)
	}
	for _, bad := range []string{
		"", "t=1551459600", "v1=" + strings.Repeat("ab", 32), "t=,v1=" + strings.Repeat("ab", 32),
		"t=-5,v1=" + strings.Repeat("ab", 32), "t=1e9,v1=" + strings.Repeat("ab", 32),
		"t=1,t=2,v1=" + strings.Repeat("ab", 32), "t=1,v1=abc", "t=1,v1=" + strings.Repeat("zz", 32),
		"t=1551459600,v1", "t=1234567890123,v1=" + strings.Repeat("ab", 32),
	} {
		if _, err := ParseSignature(bad); err == nil {
			t.Errorf("ParseSignature(%q) accepted", bad)
		}
	}
}

func FuzzParseSignature(f *testing.F) {
	f.Add(Sign("secret", time.Unix(1551459600, 0), []byte("{}")))
	f.Add("t=1,v1=" + strings.Repeat("0", 64) + ",v1=" + strings.Repeat("f", 64))
	f.Add("t=,v1=")
	f.Add(",,,=,t==1")
	f.Fuzz(func(t *testing.T, header string) {
		sig, err := ParseSignature(header)
		if err != nil {
			return
		}
		if sig.Timestamp == "" || len(sig.Timestamp) > 12 || strings.Trim(sig.Timestamp, "0123456789") != "" || len(sig.V1) == 0 {
			t.Fatalf("accepted %q as %+v", header, sig)
		}
		for _, v := range sig.V1 {
			if len(v) != 32 {
				t.Fatalf("accepted a %d-byte v1 in %q", len(v), header)
			}
		}
		// A signature made for that time verifies exactly the body it signed.
		body := []byte(header)
		again, err := ParseSignature(Sign("key", sig.Time, body))
		if err != nil || !again.Verify("key", body) || again.Verify("key", append(body, 'x')) || again.Verify("other", body) {
			t.Fatalf("round trip at %v: %+v, %v", sig.Time, again, err)
		}
	})
}
