package main

import (
	"context"
	"flag"
	"fmt"

	"referrals/models"
)

// The account commands an operator needs when the web pages cannot help: a forgotten
// password, a lost authenticator, an account to stop or let back in, a role to change.
// Each acts as the command line (an owner) and is audited.

// userCommand parses --email (and what extra adds) from args for command name, opens
// the store and finds the account.
func (c *cli) userCommand(ctx context.Context, name string, args []string, extra func(fs *flag.FlagSet)) (*models.Store, models.User, error) {
	fs := flags("user " + name)
	email := fs.String("email", "", "email address of the account")
	if extra != nil {
		extra(fs)
	}
	if err := parse(fs, args); err != nil {
		return nil, models.User{}, err
	}
	if *email == "" {
		return nil, models.User{}, usageError{"user " + name + ": --email is required"}
	}
	store, err := c.openStore(ctx)
	if err != nil {
		return nil, models.User{}, err
	}
	u, err := store.UserByEmail(ctx, *email)
	if err != nil {
		store.Close()
		return nil, models.User{}, fmt.Errorf("user %s: no account with email %s", name, models.NormalizeEmail(*email))
	}
	return store, u, nil
}

func (c *cli) userPasswd(ctx context.Context, args []string) error {
	store, u, err := c.userCommand(ctx, "passwd", args, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	password, err := c.readPassword()
	if err != nil {
		return err
	}
	if err := store.SetPassword(ctx, models.CLIActor(), u.Email, password); err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	fmt.Fprintf(c.stdout, "set the password of %s; their sessions ended\n", u.Email)
	return nil
}

func (c *cli) userDisable(ctx context.Context, args []string) error {
	store, u, err := c.userCommand(ctx, "disable", args, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.DisableUser(ctx, models.CLIActor(), u.ID); err != nil {
		return fmt.Errorf("user disable: %w", err)
	}
	fmt.Fprintf(c.stdout, "disabled %s; their sessions ended\n", u.Email)
	return nil
}

func (c *cli) userEnable(ctx context.Context, args []string) error {
	store, u, err := c.userCommand(ctx, "enable", args, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.EnableUser(ctx, models.CLIActor(), u.ID); err != nil {
		return fmt.Errorf("user enable: %w", err)
	}
	fmt.Fprintf(c.stdout, "enabled %s\n", u.Email)
	return nil
}

func (c *cli) userRole(ctx context.Context, args []string) error {
	var roleName *string
	store, u, err := c.userCommand(ctx, "role", args, func(fs *flag.FlagSet) {
		roleName = fs.String("role", "", "reviewer, finance or owner")
	})
	if err != nil {
		return err
	}
	defer store.Close()
	role, err := models.ParseStaffRole(*roleName)
	if err != nil {
		return usageError{"user role: " + err.Error()}
	}
	if !u.IsStaff() {
		return fmt.Errorf("user role: %s is a freelancer, not staff; add staff with 'user add --role'", u.Email)
	}
	if _, err := store.SetStaffRole(ctx, models.CLIActor(), u.ID, role); err != nil {
		return fmt.Errorf("user role: %w", err)
	}
	fmt.Fprintf(c.stdout, "%s is now %s\n", u.Email, role)
	return nil
}

func (c *cli) userMFAReset(ctx context.Context, args []string) error {
	store, u, err := c.userCommand(ctx, "mfa-reset", args, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.ResetMFA(ctx, models.CLIActor(), u.Email); err != nil {
		return fmt.Errorf("user mfa-reset: %w", err)
	}
	fmt.Fprintf(c.stdout, "reset two-factor sign-in of %s: they set it up again at their next sign-in; their sessions ended\n", u.Email)
	return nil
}
