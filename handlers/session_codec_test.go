package handlers

import (
	"maps"
	"testing"
)

func TestSessionSerializerRoundTrip(t *testing.T) {
	for _, values := range []map[any]any{
		{},
		{keyCSRF: "token"},
		{keyUserID: int64(42), keyVersion: int64(3), keyIssuedAt: int64(1_800_000_000), keySeenAt: int64(-1), keyCSRF: "abc",
			keyFlash: "Signed out. «Bye»", keyFlashAs: "info", "a key of the future": "kept", keyPendingNext: ""},
	} {
		b, err := sessionSerializer{}.Serialize(values)
		if err != nil {
			t.Fatal(err)
		}
		var got map[any]any
		if err := (sessionSerializer{}).Deserialize(b, &got); err != nil {
			t.Fatalf("%v: %v", values, err)
		}
		if !maps.Equal(got, values) {
			t.Errorf("round trip: %v, want %v", got, values)
		}
	}
}

func TestSessionSerializerRefusesWhatItCannotWrite(t *testing.T) {
	for _, values := range []map[any]any{{keyUserID: 42}, {1: "x"}, {keyCSRF: []byte("x")}} {
		if _, err := (sessionSerializer{}).Serialize(values); err == nil {
			t.Errorf("%v was written", values)
		}
	}
}

func TestSessionSerializerRefusesOtherBytes(t *testing.T) {
	good, _ := sessionSerializer{}.Serialize(map[any]any{keyUserID: int64(42), keyCSRF: "abc"})
	for _, b := range [][]byte{nil, {}, {0x0e, 0xff, 0x81}, good[1:], good[:len(good)-1], append([]byte{sessionFormat, 99}, good[1:]...),
		{sessionFormat, 1, 'x', 1}, {sessionFormat, 7, 's', 0xff, 0xff, 0x03}} {
		var got map[any]any
		if err := (sessionSerializer{}).Deserialize(b, &got); err == nil {
			t.Errorf("%x decoded to %v", b, got)
		}
	}
}
