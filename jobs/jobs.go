// Package jobs is the app's background work on River (github.com/riverqueue/river):
// delivering the emails the rules queue, and sending due reminders every day. Like
// handlers, it is thin: each worker calls models.Store methods that apply the rules.
//
// River keeps its jobs in the app's own database, SQLite or PostgreSQL, through one code
// path: the same River client type over database/sql, with River's riversqlite or
// riverdatabasesql driver. A job is inserted in the transaction of the change that
// causes it (Queue, the Store's models.Jobs), so it exists exactly when that change
// commits. Jobs are worked by a Runner in each `referrals serve` process; River spreads
// them over any number of processes on one PostgreSQL database, each job to one of them
// at a time, and runs the daily reminders on its elected leader only.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"referrals/models"
)

// driver is River's driver for the dialect, over db (nil for a client that only inserts
// jobs in transactions it is given). Both speak database/sql, so every client is a
// river.Client[*sql.Tx] whatever the database.
func driver(dialect models.Dialect, db *sql.DB) riverdriver.Driver[*sql.Tx] {
	if dialect == models.Postgres {
		// riverdatabasesql has no LISTEN/NOTIFY: its clients poll (Config.PollOnly).
		return riverdatabasesql.New(db)
	}
	return riversqlite.New(db)
}

// quiet discards River's informational logging where errors are returned anyway.
func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Queue inserts jobs into the app's transactions and migrates River's tables. It
// implements models.Jobs; it works no jobs itself (see Runner).
type Queue struct {
	dialect  models.Dialect
	inserter *river.Client[*sql.Tx]
}

// NewQueue makes the queue for a database of the given dialect.
func NewQueue(dialect models.Dialect) (*Queue, error) {
	// With no pool, the client can only insert into the transactions it is given: it
	// needs none, since every job here is queued inside an app transaction.
	inserter, err := river.NewClient(driver(dialect, nil), &river.Config{Logger: quiet(), PollOnly: true})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Queue{dialect: dialect, inserter: inserter}, nil
}

// EnqueueEmails schedules the delivery of outbox emails emailIDs as part of tx, in one
// statement. InsertManyFastTx: the same multi-row insert as InsertManyTx without
// reading every inserted job row back, which nothing here uses (a pay run queues an
// email per payout).
func (q *Queue) EnqueueEmails(ctx context.Context, tx *sql.Tx, emailIDs []int64) error {
	if len(emailIDs) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(emailIDs))
	for i, id := range emailIDs {
		params[i] = river.InsertManyParams{Args: DeliverEmailArgs{EmailID: id}}
	}
	_, err := q.inserter.InsertManyFastTx(ctx, tx, params)
	return err
}

// EnqueueWebhooks schedules webhook deliveries as part of tx, in one statement (see
// EnqueueEmails).
func (q *Queue) EnqueueWebhooks(ctx context.Context, tx *sql.Tx, deliveries []models.WebhookJob) error {
	if len(deliveries) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(deliveries))
	for i, d := range deliveries {
		params[i] = river.InsertManyParams{Args: DeliverWebhookArgs{DeliveryID: d.DeliveryID, Generation: d.Generation}}
	}
	_, err := q.inserter.InsertManyFastTx(ctx, tx, params)
	return err
}

// Migrate applies River's pending migrations to db; River records its own versions, so
// a second run applies none. The Store runs it with its own migrations (Store.Migrate),
// under the same lock on PostgreSQL.
func (q *Queue) Migrate(ctx context.Context, db *sql.DB) (int, error) {
	migrator, err := rivermigrate.New(driver(q.dialect, db), &rivermigrate.Config{Logger: quiet()})
	if err != nil {
		return 0, err
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return 0, err
	}
	return len(res.Versions), nil
}

// Pending reports whether the queue's tables in db lack migrations of this River version.
func (q *Queue) Pending(ctx context.Context, db *sql.DB) (bool, error) {
	migrator, err := rivermigrate.New(driver(q.dialect, db), &rivermigrate.Config{Logger: quiet()})
	if err != nil {
		return false, err
	}
	existing, err := migrator.ExistingVersions(ctx)
	if err != nil {
		return false, fmt.Errorf("read the job queue's migrations: %w", err)
	}
	return len(existing) < len(migrator.AllVersions()), nil
}
