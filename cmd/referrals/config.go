package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// config is the whole configuration, read once from the environment at start.
type config struct {
	Addr           string
	BaseURL        string
	DatabaseURL    string
	DataDir        string
	SessionSecret  string
	WebhookSecret  string
	SMTPURL        string
	TrustedProxies []string
}

// loadConfig reads the environment (see the README's configuration table).
func loadConfig(getenv func(string) string) config {
	or := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	c := config{
		Addr:          or("ADDR", "127.0.0.1:8080"),
		BaseURL:       or("BASE_URL", "http://localhost:8080"),
		DatabaseURL:   or("DATABASE_URL", ""),
		DataDir:       or("DATA_DIR", "data"),
		SessionSecret: getenv("SESSION_SECRET"),
		WebhookSecret: getenv("WEBHOOK_SECRET"),
		SMTPURL:       or("SMTP_URL", ""),
	}
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	return c
}

// sessionSecret is SESSION_SECRET, or in development (when it is unset) a random secret
// kept in the data folder so that restarts keep people signed in.
func (c config) sessionSecret(log *slog.Logger) ([]byte, error) {
	if c.SessionSecret != "" {
		if len(c.SessionSecret) < 32 {
			return nil, errors.New("SESSION_SECRET must be at least 32 characters")
		}
		return []byte(c.SessionSecret), nil
	}
	path := filepath.Join(c.DataDir, "session.key")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	secret := []byte(hex.EncodeToString(buf))
	if err := os.WriteFile(path, secret, 0o600); err != nil {
		return nil, fmt.Errorf("keep the generated session secret: %w", err)
	}
	log.Warn("SESSION_SECRET is not set: generated one for development", "file", path)
	return secret, nil
}
