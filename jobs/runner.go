package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver" // the "sqlite3" database/sql driver
	"github.com/riverqueue/river"

	"referrals/models"
)

// Config is what a Runner needs.
type Config struct {
	Store *models.Store
	// Mailer delivers the outbox; nil (SMTP_URL unset) leaves emails queued in the
	// outbox, their delivery jobs waiting for a process that can send.
	Mailer *Mailer
	// Emails writes out each email as it is sent (views.Emails, with this process's
	// BASE_URL); required with a Mailer.
	Emails models.EmailRenderer
	// Log receives River's and the workers' messages; nil means slog.Default().
	Log *slog.Logger
	// Finished, when set, hears of each job attempt this process ends: the job's kind
	// and the state it was left in (completed, retryable, discarded, cancelled, or
	// scheduled when it snoozed). For metrics; it must not block.
	Finished func(kind, state string)
	// WebhookTimeout bounds one webhook attempt (zero: 10 s) and WebhookFirstRetry is
	// the wait before the first retry (zero: 30 s); tests shorten them.
	WebhookTimeout    time.Duration
	WebhookFirstRetry time.Duration
}

// emailWorkers is how many emails one process sends at once.
const emailWorkers = 4

// cancelGrace is how long Stop waits, once its deadline has passed, for cancelled jobs
// to record their outcome.
const cancelGrace = 5 * time.Second

// Runner works the app's jobs in this process: it is the River client that fetches
// and runs them. Start it with the server and Stop it on shutdown.
type Runner struct {
	client *river.Client[*sql.Tx]
	// ownDB is River's own connection to the SQLite file (nil on PostgreSQL).
	ownDB    *sql.DB
	finished func(kind, state string)
	// unsubscribe ends the subscription that feeds finished.
	unsubscribe func()
}

// NewRunner prepares a runner on cfg.Store's database.
func NewRunner(cfg Config) (*Runner, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	store := cfg.Store
	db := store.DB()
	var ownDB *sql.DB
	if store.Dialect() == models.SQLite {
		// River's SQLite driver wants a pool of one connection (see its package doc), so
		// River gets its own on the same file, with the same settings as the app's. Jobs
		// are still inserted through the app's connections, in the app's transactions.
		var err error
		ownDB, err = sql.Open("sqlite3", models.SQLiteDSN(store.SQLitePath()))
		if err != nil {
			return nil, fmt.Errorf("open the job queue's connection: %w", err)
		}
		ownDB.SetMaxOpenConns(1)
		db = ownDB
	}

	workers := river.NewWorkers()
	river.AddWorker(workers, &remindersWorker{store: store, log: cfg.Log})
	river.AddWorker(workers, newWebhookWorker(store, cfg.WebhookTimeout, cfg.WebhookFirstRetry, cfg.Log))
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}, webhookQueue: {MaxWorkers: webhookWorkers}}
	if cfg.Mailer != nil {
		if cfg.Emails == nil {
			return nil, errors.New("job runner: a mailer needs Emails to write out what it sends")
		}
		river.AddWorker(workers, &emailWorker{store: store, mailer: cfg.Mailer, emails: cfg.Emails, log: cfg.Log})
		queues[emailQueue] = river.QueueConfig{MaxWorkers: emailWorkers}
	}
	client, err := river.NewClient(driver(store.Dialect(), db), &river.Config{
		Logger:       cfg.Log,
		PollOnly:     true,
		Queues:       queues,
		Workers:      workers,
		PeriodicJobs: []*river.PeriodicJob{remindersJob()},
	})
	if err != nil {
		if ownDB != nil {
			ownDB.Close()
		}
		return nil, fmt.Errorf("job runner: %w", err)
	}
	return &Runner{client: client, ownDB: ownDB, finished: cfg.Finished}, nil
}

// Start begins fetching and working jobs. The jobs run until Stop, whatever ctx does.
func (r *Runner) Start(ctx context.Context) error {
	if r.finished != nil {
		events, unsubscribe := r.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
			river.EventKindJobCancelled, river.EventKindJobSnoozed)
		r.unsubscribe = unsubscribe
		go func() {
			for e := range events {
				r.finished(e.Job.Kind, string(e.Job.State))
			}
		}()
	}
	if err := r.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start the job runner: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for the running ones to finish. When ctx ends
// first, it cancels them and waits a little longer for them to record their outcome
// (an email whose sending was cut short goes back to the queue).
func (r *Runner) Stop(ctx context.Context) error {
	err := r.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
		defer cancel()
		err = r.client.StopAndCancel(hard)
		err = errors.Join(errors.New("jobs still running at the shutdown deadline were cancelled"), err)
	}
	if r.unsubscribe != nil {
		r.unsubscribe()
	}
	if r.ownDB != nil {
		err = errors.Join(err, r.ownDB.Close())
	}
	return err
}

// JobCount is how many jobs of one kind are in one state in the queue's table (finished
// jobs stay there a day).
type JobCount struct {
	Kind  string
	State string
	N     int64
}

// Counts reads the job queue's table of db by kind and state, for metrics.
func Counts(ctx context.Context, db *sql.DB) ([]JobCount, error) {
	rows, err := db.QueryContext(ctx, "SELECT kind, state, COUNT(*) FROM river_job GROUP BY kind, state")
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	var out []JobCount
	for rows.Next() {
		var c JobCount
		if err := rows.Scan(&c.Kind, &c.State, &c.N); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
