package main

import (
	"context"
	"errors"
	"fmt"

	"referrals/models"
	"referrals/views"
)

// invite runs R2 for one program: it invites every eligible freelancer not yet invited
// and, with --reminders, also reminds the invited referrers whose reminder is due. Both
// are idempotent, so a scheduler may run the command daily.
func (c *cli) invite(ctx context.Context, args []string) error {
	fs := flags("invite")
	allowLocal := allowLocalhost(fs)
	slug := fs.String("program", "", "slug of the program")
	reminders := fs.Bool("reminders", false, "also send the reminders that are due")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *slug == "" {
		return usageError{"invite: --program is required"}
	}
	if err := c.cfg.refuseLocalLinks(*allowLocal); err != nil {
		return err
	}
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()

	invited, err := store.InviteProgram(ctx, models.CLIActor(), *slug)
	if err != nil {
		return inviteError(*slug, err)
	}
	fmt.Fprintf(c.stdout, "invited %s to %s\n", views.Plural(int64(invited), "freelancer", "freelancers"), *slug)
	if !*reminders {
		return nil
	}
	reminded, err := store.SendReminders(ctx, models.CLIActor(), *slug)
	if err != nil {
		return inviteError(*slug, err)
	}
	fmt.Fprintf(c.stdout, "reminded %s in %s\n", views.Plural(int64(reminded), "referrer", "referrers"), *slug)
	return nil
}

// inviteError says what went wrong with the program at hand.
func inviteError(slug string, err error) error {
	switch {
	case errors.Is(err, models.ErrNotFound):
		return fmt.Errorf("invite: there is no program with slug %q", slug)
	case errors.Is(err, models.ErrProgramClosed):
		return fmt.Errorf("invite: program %s is not open: it is a draft, has ended, or its deadline has passed", slug)
	}
	return fmt.Errorf("invite %s: %w", slug, err)
}
