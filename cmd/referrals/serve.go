package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"referrals/handlers"
	"referrals/jobs"
	"referrals/metrics"
	"referrals/models"
	"referrals/views"
)

// shutdownTimeout bounds how long in-flight requests and jobs may take to finish after
// SIGTERM; jobs still running then are cancelled.
const shutdownTimeout = 20 * time.Second

// drainTime is how long a stopping process keeps serving, with /readyz answering 503 and
// keep-alive connections closed after each response, before it stops listening: long
// enough for a load balancer that checks /readyz every second to take it out (two
// failed checks; see deploy/haproxy.cfg), so that no request is sent to a closed port.
const drainTime = 3 * time.Second

// statementTimeout is PostgreSQL's statement_timeout for the server's connections: a
// backstop behind the requests' deadlines (10 s for a page, 30 s for an API call) for a
// query that would ignore them. Migrations run without it.
const statementTimeout = time.Minute

// serve runs the web server and the background jobs until the context ends (SIGINT or
// SIGTERM). Then it drains (readiness fails, requests are still served) for drainTime,
// stops accepting connections and fetching jobs, lets in-flight requests and jobs
// finish, and only then closes the database.
func (c *cli) serve(ctx context.Context, args []string) error {
	fs := flags("serve")
	fs.StringVar(&c.cfg.Addr, "addr", c.cfg.Addr, "listen address")
	fs.StringVar(&c.cfg.BaseURL, "base-url", c.cfg.BaseURL, "public address")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := handlers.CheckWebhookSecret(c.cfg.WebhookSecret); err != nil {
		return err
	}
	secret, err := c.cfg.sessionSecret(c.log)
	if err != nil {
		return err
	}
	smtp, err := c.cfg.smtp()
	if err != nil {
		return err
	}
	if dialect, _ := models.DialectOf(c.cfg.DatabaseURL); dialect == models.Postgres && c.cfg.linksPointHere() {
		c.log.Warn("BASE_URL points at this machine: links in emails and invite links work only here", "base_url", c.cfg.BaseURL)
	}
	if _, err := c.migrateDatabase(ctx); err != nil {
		return err
	}
	opts, err := c.cfg.storeOptions()
	if err != nil {
		return err
	}
	opts.StatementTimeout = statementTimeout
	store, err := models.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer store.Close()

	m := metrics.New()
	m.Watch(store, c.log)
	var draining atomic.Bool
	app, err := handlers.New(handlers.Options{
		EmailDelivery:   c.cfg.SMTPURL != "",
		Store:           store,
		Log:             c.log,
		BaseURL:         c.cfg.BaseURL,
		MarketplaceName: c.cfg.MarketplaceName,
		SessionSecret:   secret,
		WebhookSecret:   c.cfg.WebhookSecret,
		TrustedProxies:  c.cfg.TrustedProxies,
		Metrics:         m,
		Draining:        draining.Load,
	})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              c.cfg.Addr,
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		// Past the longest request deadline (an earnings import), so the 503 of a request
		// that ran out of time still reaches the client.
		WriteTimeout: handlers.ImportDeadline + 10*time.Second,
		IdleTimeout:  120 * time.Second,
	}
	ln, err := net.Listen("tcp", c.cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve on %s: %w", c.cfg.Addr, err)
	}
	defer ln.Close()
	var metricsSrv *http.Server
	if c.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", c.cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("METRICS_ADDR: serve metrics on %s: %w", c.cfg.MetricsAddr, err)
		}
		metricsSrv = &http.Server{Handler: m.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = metricsSrv.Serve(mln) }()
		c.log.Info("serving metrics", "addr", mln.Addr().String(), "paths", "/metrics /debug/pprof/")
	}
	var mailer *jobs.Mailer
	if smtp != nil {
		mailer = jobs.NewMailer(*smtp)
	} else {
		c.log.Warn("SMTP_URL is not set: emails stay queued in the outbox")
	}
	if c.cfg.AllowPrivateWebhooks {
		c.log.Warn("WEBHOOK_ALLOW_PRIVATE=1: webhooks may go to private and loopback addresses over plain http; for development only")
	}
	// This process sends the email, so it writes it out: links start with its BASE_URL.
	emails, err := views.NewEmails(c.cfg.BaseURL, c.cfg.MarketplaceName, secret)
	if err != nil {
		ln.Close()
		return err
	}
	runner, err := jobs.NewRunner(jobs.Config{Store: store, Mailer: mailer, Emails: emails, Log: c.log, Finished: m.JobFinished})
	if err != nil {
		return err
	}
	if err := runner.Start(ctx); err != nil {
		return errors.Join(err, runner.Stop(ctx))
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	c.log.Info("serving", "addr", ln.Addr().String(), "open", c.cfg.BaseURL, "database", string(store.Dialect()), "email", mailer != nil)

	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("serve on %s: %w", c.cfg.Addr, err)
	case <-ctx.Done():
		c.log.Info("shutting down: draining", "for", drainTime.String())
		draining.Store(true)
		srv.SetKeepAlivesEnabled(false)
		time.Sleep(drainTime)
	}
	// Requests and jobs wind down together, each free to use the database until done.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	var httpErr, jobsErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			httpErr = fmt.Errorf("shutdown: %w", err)
		}
	})
	wg.Go(func() {
		if err := runner.Stop(shutdownCtx); err != nil {
			jobsErr = fmt.Errorf("stop jobs: %w", err)
		}
	})
	wg.Wait()
	if metricsSrv != nil {
		_ = metricsSrv.Close()
	}
	return errors.Join(serveErr, httpErr, jobsErr)
}
