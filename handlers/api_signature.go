package handlers

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"referrals/models"
)

// The machine API's signature (docs/api.md): X-Referrals-Signature: t=UNIX_SECONDS,v1=HEX,
// HEX being HMAC-SHA256(WEBHOOK_SECRET, "T.BODY") over the raw body.
const (
	SignatureHeader = "X-Referrals-Signature"
	// signatureTolerance is how far a signature's time may be from ours, either way: a
	// captured request cannot be replayed later than this.
	signatureTolerance = 300 * time.Second
	// maxAPIBody is the largest body the API reads (1 MiB).
	maxAPIBody = 1 << 20
	// ctxAPIBody is where the verified body is kept on the request.
	ctxAPIBody = "api_body"
	// ctxAPIDelivery is where the verified request's models.Delivery is kept.
	ctxAPIDelivery = "api_delivery"
	// MinWebhookSecret is the shortest WEBHOOK_SECRET accepted: 32 bytes, the size of
	// the HMAC-SHA256 key it stands for.
	MinWebhookSecret = 32
)

// CheckWebhookSecret refuses a WEBHOOK_SECRET shorter than MinWebhookSecret bytes. An
// empty one is allowed: the API then refuses every request.
func CheckWebhookSecret(secret string) error {
	if secret != "" && len(secret) < MinWebhookSecret {
		return fmt.Errorf("WEBHOOK_SECRET must be at least %d bytes, not %d: make one with `openssl rand -hex 32`", MinWebhookSecret, len(secret))
	}
	return nil
}

// Signature is a parsed X-Referrals-Signature header.
type Signature struct {
	// Timestamp is t as sent: the T the signed text "T.BODY" starts with.
	Timestamp string
	Time      time.Time
	// V1 are the signatures given (several while a secret is being rotated).
	V1 [][]byte
}

// ParseSignature reads a signature header: comma-separated key=value pairs with exactly
// one t (decimal seconds) and at least one v1 (64 hex digits). Other keys are skipped,
// so a later scheme can be added beside v1.
func ParseSignature(header string) (Signature, error) {
	var sig Signature
	if header == "" {
		return sig, errors.New("missing " + SignatureHeader + " header")
	}
	bad := errors.New(SignatureHeader + " must look like t=UNIX_SECONDS,v1=HEX")
	parts := strings.Split(header, ",")
	if len(header) > 1024 || len(parts) > 8 {
		return sig, bad
	}
	for _, part := range parts {
		key, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Signature{}, bad
		}
		switch key {
		case "t":
			if sig.Timestamp != "" || value == "" || len(value) > 12 || strings.Trim(value, "0123456789") != "" {
				return Signature{}, bad
			}
			secs, _ := strconv.ParseInt(value, 10, 64) // at most 12 digits: fits
			sig.Timestamp, sig.Time = value, time.Unix(secs, 0).UTC()
		case "v1":
			mac, err := hex.DecodeString(value)
			if err != nil || len(mac) != sha256.Size {
				return Signature{}, bad
			}
			sig.V1 = append(sig.V1, mac)
		}
	}
	if sig.Timestamp == "" || len(sig.V1) == 0 {
		return Signature{}, bad
	}
	return sig, nil
}

// mac is HMAC-SHA256(secret, "T.BODY").
func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "."))
	m.Write(body)
	return m.Sum(nil)
}

// Verify reports whether one of the signatures is body's, signed with secret. The
// comparison takes the same time whatever the bytes (hmac.Equal).
func (s Signature) Verify(secret string, body []byte) bool {
	want := mac(secret, s.Timestamp, body)
	ok := false
	for _, got := range s.V1 {
		ok = hmac.Equal(got, want) || ok
	}
	return ok
}

// Sign is the X-Referrals-Signature header for body sent at t: what the marketplace
// (and the tests and load generator) send.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// requireSignature lets through only requests signed with the webhook secret within the
// tolerance, with bodies of at most 1 MiB (413 above). Without a secret configured it
// refuses everything rather than accept unsigned requests. The verified body is kept
// for the handler (apiBody).
func (h *Handler) requireSignature(next echo.HandlerFunc) echo.HandlerFunc {
	unauthorized := func(msg string) error { return echo.NewHTTPError(http.StatusUnauthorized, msg) }
	return func(c echo.Context) error {
		if h.webhookSecret == "" {
			return unauthorized("This server cannot verify signatures: WEBHOOK_SECRET is not set.")
		}
		sig, err := ParseSignature(c.Request().Header.Get(SignatureHeader))
		if err != nil {
			return unauthorized(err.Error())
		}
		if d := h.store.Now().Sub(sig.Time); d > signatureTolerance || d < -signatureTolerance {
			return unauthorized("The signature's timestamp is more than 300 seconds from the server's time.")
		}
		req := c.Request()
		if req.ContentLength > maxAPIBody {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The body is larger than 1 MiB.")
		}
		body, err := io.ReadAll(io.LimitReader(req.Body, maxAPIBody+1))
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "The body could not be read.").SetInternal(err)
		}
		if len(body) > maxAPIBody {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The body is larger than 1 MiB.")
		}
		if !sig.Verify(h.webhookSecret, body) {
			return unauthorized("The signature does not match the body.")
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		c.Set(ctxAPIBody, body)
		// The request is applied at most once while its signature verifies (ErrReplay).
		c.Set(ctxAPIDelivery, models.Delivery{
			Signature: hex.EncodeToString(mac(h.webhookSecret, sig.Timestamp, body)),
			Expires:   sig.Time.Add(signatureTolerance),
		})
		return next(c)
	}
}

// apiDelivery identifies the request requireSignature verified, for the Store to apply
// it once.
func apiDelivery(c echo.Context) models.Delivery {
	d, _ := c.Get(ctxAPIDelivery).(models.Delivery)
	return d
}

// apiBody is the request body requireSignature verified.
func apiBody(c echo.Context) []byte {
	b, _ := c.Get(ctxAPIBody).([]byte)
	return b
}
