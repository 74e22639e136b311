package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"referrals/handlers"
)

// shutdownTimeout bounds how long in-flight requests may take to finish after SIGTERM.
const shutdownTimeout = 20 * time.Second

// serve runs the web server until the context ends (SIGINT or SIGTERM), then stops
// accepting connections and lets in-flight requests finish.
func (c *cli) serve(ctx context.Context, args []string) error {
	fs := flags("serve")
	fs.StringVar(&c.cfg.Addr, "addr", c.cfg.Addr, "listen address")
	fs.StringVar(&c.cfg.BaseURL, "base-url", c.cfg.BaseURL, "public address")
	if err := parse(fs, args); err != nil {
		return err
	}
	secret, err := c.cfg.sessionSecret(c.log)
	if err != nil {
		return err
	}
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()

	app, err := handlers.New(handlers.Options{
		Store:          store,
		Log:            c.log,
		BaseURL:        c.cfg.BaseURL,
		SessionSecret:  secret,
		WebhookSecret:  c.cfg.WebhookSecret,
		TrustedProxies: c.cfg.TrustedProxies,
	})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              c.cfg.Addr,
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	c.log.Info("serving", "addr", c.cfg.Addr, "open", c.cfg.BaseURL, "database", string(store.Dialect()))

	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", c.cfg.Addr, err)
	case <-ctx.Done():
	}
	c.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
