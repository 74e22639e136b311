package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"referrals/jobs"
	"referrals/models"
	"referrals/views"
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
	// MarketplaceName names the marketplace on the pages and emails friends and referrers
	// see (MARKETPLACE_NAME, default "the marketplace").
	MarketplaceName string
	// AllowPrivateWebhooks lets webhook endpoints be private or loopback addresses,
	// over plain http too (WEBHOOK_ALLOW_PRIVATE=1): development and tests only.
	AllowPrivateWebhooks bool
	// MetricsAddr is where the metrics listener serves /metrics and /debug/pprof/
	// (METRICS_ADDR); empty: no metrics listener.
	MetricsAddr string
	// LogFormat is text or json (LOG_FORMAT); LogLevel debug, info, warn or error
	// (LOG_LEVEL).
	LogFormat string
	LogLevel  string
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
		// Mid-sentence, as in "Join me on the marketplace".
		MarketplaceName:      or("MARKETPLACE_NAME", views.DefaultMarketplaceName),
		AllowPrivateWebhooks: strings.TrimSpace(getenv("WEBHOOK_ALLOW_PRIVATE")) == "1",
		MetricsAddr:          or("METRICS_ADDR", ""),
		LogFormat:            or("LOG_FORMAT", "text"),
		LogLevel:             or("LOG_LEVEL", "info"),
	}
	for _, p := range strings.Split(getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	return c
}

// logger writes to w in LOG_FORMAT at LOG_LEVEL.
func (c config) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("LOG_LEVEL=%q: use debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.LogFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("LOG_FORMAT=%q: use text or json", c.LogFormat)
}

// sessionSecret is SESSION_SECRET, or in development (when it is unset) a random secret
// kept in the data folder so that restarts keep people signed in. On PostgreSQL it must
// be set: several instances share that database, and each would generate its own key,
// so a session made by one would be refused by the others.
func (c config) sessionSecret(log *slog.Logger) ([]byte, error) {
	if c.SessionSecret == "" {
		if dialect, _ := models.DialectOf(c.DatabaseURL); dialect == models.Postgres {
			return nil, errors.New("SESSION_SECRET is not set: with PostgreSQL, instances behind a load balancer would each generate their own key and refuse each other's sessions; set the same SESSION_SECRET (32+ characters) on every instance")
		}
	}
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

// storeOptions opens the configured database with River as its job queue, so every
// command that queues email also queues its delivery.
func (c config) storeOptions() (models.Options, error) {
	dialect, err := models.DialectOf(c.DatabaseURL)
	if err != nil {
		return models.Options{}, err
	}
	queue, err := jobs.NewQueue(dialect)
	if err != nil {
		return models.Options{}, err
	}
	return models.Options{
		DatabaseURL: c.DatabaseURL,
		DataDir:     c.DataDir,
		Jobs:        queue,
		// Every command may queue events; only serve sends them.
		AllowPrivateWebhooks: c.AllowPrivateWebhooks,
	}, nil
}

// smtp is the SMTP server of SMTP_URL, or nil when it is unset (emails then stay in the
// outbox). See parseSMTPURL for the format.
func (c config) smtp() (*jobs.SMTPConfig, error) {
	if c.SMTPURL == "" {
		return nil, nil
	}
	cfg, err := parseSMTPURL(c.SMTPURL)
	if err != nil {
		return nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	return &cfg, nil
}

// parseSMTPURL reads smtp://[USER[:PASSWORD]@]HOST[:PORT]?from=ADDRESS[&tls=MODE]:
// from is the sender, a bare address or "Name <address>" (URL-encoded); tls is starttls
// (the default: the server must offer STARTTLS), tls (TLS from the first byte, SMTPS) or
// none (cleartext, for a relay on the same host or network). The port defaults to 587,
// 465 and 25 respectively. User and password are URL-encoded; without them no
// authentication is attempted.
func parseSMTPURL(raw string) (jobs.SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return jobs.SMTPConfig{}, errors.New("not a URL: use smtp://user:password@host:port?from=sender@example.com")
	}
	if u.Scheme != "smtp" {
		return jobs.SMTPConfig{}, fmt.Errorf("scheme %q: use smtp://", u.Scheme)
	}
	cfg := jobs.SMTPConfig{Host: u.Hostname(), TLS: jobs.TLSStartTLS}
	if cfg.Host == "" {
		return jobs.SMTPConfig{}, errors.New("no host")
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	q := u.Query()
	for key := range q {
		if key != "from" && key != "tls" {
			return jobs.SMTPConfig{}, fmt.Errorf("unknown parameter %q: only from and tls", key)
		}
	}
	from, err := mail.ParseAddress(q.Get("from"))
	if err != nil {
		return jobs.SMTPConfig{}, fmt.Errorf("from=%q: give the sender address, e.g. from=referrals@example.com", q.Get("from"))
	}
	cfg.From = *from
	defaultPort := 587
	switch mode := jobs.TLSMode(q.Get("tls")); mode {
	case "", jobs.TLSStartTLS:
	case jobs.TLSImplicit:
		cfg.TLS, defaultPort = mode, 465
	case jobs.TLSNone:
		cfg.TLS, defaultPort = mode, 25
	default:
		return jobs.SMTPConfig{}, fmt.Errorf("tls=%q: use starttls, tls or none", mode)
	}
	cfg.Port = defaultPort
	if p := u.Port(); p != "" {
		cfg.Port, err = strconv.Atoi(p)
		if err != nil || cfg.Port < 1 || cfg.Port > 65535 {
			return jobs.SMTPConfig{}, fmt.Errorf("port %q", p)
		}
	}
	return cfg, nil
}

// linksPointHere reports whether BASE_URL names this machine (localhost, a name under
// .localhost, or a loopback address): links built with it work for nobody else.
func (c config) linksPointHere() bool {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return false
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// refuseLocalLinks stops a command that sends email or builds links when they would
// point at this machine while the database is a shared PostgreSQL one: emails with
// localhost links would go to real people. allow (--allow-localhost) lets it run.
func (c config) refuseLocalLinks(allow bool) error {
	dialect, err := models.DialectOf(c.DatabaseURL)
	if err != nil || dialect != models.Postgres || allow || !c.linksPointHere() {
		return err
	}
	return fmt.Errorf("BASE_URL is %s, so the links this command emails would point at this machine; set BASE_URL to the public address, or pass --allow-localhost", c.BaseURL)
}
