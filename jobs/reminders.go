package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"referrals/models"
)

// SendRemindersArgs is the job that sends the reminders due in every open program (R2).
type SendRemindersArgs struct{}

func (SendRemindersArgs) Kind() string { return "send_reminders" }

func (SendRemindersArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5}
}

// reminderHour is when, in UTC, the daily reminders go: 16:00 UTC is the morning of the
// working day across the U.S. (8 or 9 a.m. in Los Angeles, the programs' default zone).
const reminderHour = 16

// remindersJob runs the reminders once a day. River inserts it on its elected leader
// only, so it runs once whatever the number of instances, and the rule itself is
// idempotent (Store.SendReminders claims each reminder), so a run repeated by a leader
// change sends nothing twice. Daily rather than hourly: each run records an audit event
// per program, and a reminder due "7 days after the invitation" is on time that day.
// The schedule is a time of day rather than an interval, so restarts neither skip nor
// repeat it.
func remindersJob() *river.PeriodicJob {
	return river.NewPeriodicJob(dailyAt{hour: reminderHour},
		func() (river.JobArgs, *river.InsertOpts) { return SendRemindersArgs{}, nil },
		&river.PeriodicJobOpts{ID: SendRemindersArgs{}.Kind()})
}

// dailyAt is a River schedule firing every day at hour:00 UTC.
type dailyAt struct{ hour int }

func (d dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), d.hour, 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// remindersWorker sends the due reminders of every active, open program.
type remindersWorker struct {
	river.WorkerDefaults[SendRemindersArgs]
	store *models.Store
	log   *slog.Logger
}

func (w *remindersWorker) Work(ctx context.Context, _ *river.Job[SendRemindersArgs]) error {
	programs, err := w.store.ActivePrograms(ctx)
	if err != nil {
		return err
	}
	actor := models.SystemActor("scheduled reminders")
	var errs []error
	for _, p := range programs {
		if !p.Open(w.store.Now()) {
			continue
		}
		n, err := w.store.SendReminders(ctx, actor, p.Slug)
		switch {
		case errors.Is(err, models.ErrProgramClosed):
			// closed since it was listed
		case err != nil:
			errs = append(errs, fmt.Errorf("reminders of program %s: %w", p.Slug, err))
		case n > 0:
			w.log.Info("reminders queued", "program", p.Slug, "count", n)
		}
	}
	return errors.Join(errs...)
}
