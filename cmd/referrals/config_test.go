package main

import (
	"strings"
	"testing"

	"referrals/jobs"
)

func TestParseSMTPURL(t *testing.T) {
	for raw, want := range map[string]jobs.SMTPConfig{
		"smtp://mailer:p%40ss@smtp.example.com?from=referrals@example.com": {
			Host: "smtp.example.com", Port: 587, Username: "mailer", Password: "p@ss", TLS: jobs.TLSStartTLS,
		},
		"smtp://smtp.example.com?from=Referrals+%3Creferrals@example.com%3E&tls=tls": {
			Host: "smtp.example.com", Port: 465, TLS: jobs.TLSImplicit,
		},
		"smtp://127.0.0.1:2525?tls=none&from=referrals@example.com": {
			Host: "127.0.0.1", Port: 2525, TLS: jobs.TLSNone,
		},
	} {
		got, err := parseSMTPURL(raw)
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		if got.From.Address != "referrals@example.com" {
			t.Errorf("%s: from %q", raw, got.From.Address)
		}
		got.From = want.From
		if got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", raw, got, want)
		}
	}
	for raw, complaint := range map[string]string{
		"smtp://smtp.example.com":                              "from",
		"smtp://smtp.example.com?from=nobody":                  "from",
		"smtps://smtp.example.com?from=a@example.com":          "scheme",
		"smtp://smtp.example.com?from=a@example.com&tls=maybe": "tls",
		"smtp://smtp.example.com?from=a@example.com&sender=b":  "sender",
		"smtp://smtp.example.com:0?from=a@example.com":         "port",
		"smtp://?from=a@example.com":                           "host",
	} {
		if _, err := parseSMTPURL(raw); err == nil || !strings.Contains(err.Error(), complaint) {
			t.Errorf("%s: error %v, want one about %s", raw, err, complaint)
		}
	}
}

func TestServeRefusesAMalformedSMTPURL(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir(), "SMTP_URL": "smtp://smtp.example.com", "ADDR": "127.0.0.1:0"}
	code, _, errOut := referrals(t, env, "", "serve")
	if code != 1 || !strings.Contains(errOut, "SMTP_URL") {
		t.Errorf("exit %d, %q; want 1 and a word about SMTP_URL", code, errOut)
	}
}

func TestServeRefusesAShortWebhookSecret(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir(), "WEBHOOK_SECRET": "too-short", "ADDR": "127.0.0.1:0"}
	code, _, errOut := referrals(t, env, "", "serve")
	if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "WEBHOOK_SECRET must be at least 32 bytes") {
		t.Errorf("exit %d, %q; want 1 and one line about WEBHOOK_SECRET", code, errOut)
	}
}
