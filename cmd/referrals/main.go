// Command referrals runs the referral program: the web server, and the operator's
// commands (migrations, demo data, users, programs, invitations, imports, payouts).
//
// Usage: referrals [command] [flags]; with no command it serves. Configuration comes from
// the environment (see README.md). Errors are one line on standard error and a non-zero
// exit status.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // program time zones work on machines without a zoneinfo database

	"referrals/models"
)

const usage = `usage: referrals [command] [flags]

commands:
  serve                      run the web server (the default); migrates first
  migrate                    apply pending database migrations
  seed --demo                fill an empty database with a demo program and logins
  user add --email E --name N [--country US] [--top-rated] [--role reviewer|finance|owner]
                             create a user (--admin: an owner); the password is read
                             from standard input
  user passwd --email E      set a password (from standard input); ends their sessions
  user disable --email E     stop an account signing in; ends its sessions
  user enable --email E      let a disabled account sign in again
  user role --email E --role R   give a member of staff another role
  user mfa-reset --email E   turn off a member of staff's two-factor sign-in (lost
                             phone): they set it up again at their next sign-in
  program create --slug S --name N --deadline YYYY-MM-DD [--category C]...
                 [--threshold 500] [--reward 100] [--time-zone America/Los_Angeles]
                             create an active program (amounts in dollars)
  invite --program SLUG [--reminders]
                             invite every eligible freelancer not yet invited;
                             --reminders also sends the reminders that are due
  payouts pay --month YYYY-MM  pay the approved credits of that month's batch
  earnings import FILE       import an earnings CSV, all or nothing
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// cli is one run of the command: its configuration and standard streams.
type cli struct {
	cfg    config
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// usageError is a mistake in the command line itself.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{
		cfg:    loadConfig(getenv),
		stdin:  stdin,
		stdout: stdout,
		stderr: stderr,
		log:    slog.New(slog.NewTextHandler(stderr, nil)),
	}
	err := c.dispatch(ctx, args)
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "referrals: "+oneLine(err.Error())+" (run 'referrals help' for usage)")
		return 2
	}
	fmt.Fprintln(stderr, "referrals: "+oneLine(err.Error()))
	return 1
}

// oneLine keeps an error message on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return c.serve(ctx, nil)
	}
	cmd, rest := args[0], args[1:]
	sub := func() (string, []string) {
		if len(rest) == 0 {
			return "", nil
		}
		return rest[0], rest[1:]
	}
	switch cmd {
	case "serve":
		return c.serve(ctx, rest)
	case "migrate":
		return c.migrate(ctx, rest)
	case "seed":
		return c.seed(ctx, rest)
	case "user":
		name, flags := sub()
		switch name {
		case "add":
			return c.userAdd(ctx, flags)
		case "passwd":
			return c.userPasswd(ctx, flags)
		case "disable":
			return c.userDisable(ctx, flags)
		case "enable":
			return c.userEnable(ctx, flags)
		case "role":
			return c.userRole(ctx, flags)
		case "mfa-reset":
			return c.userMFAReset(ctx, flags)
		}
		return usageError{"user: the subcommands are add, passwd, disable, enable, role and mfa-reset"}
	case "program":
		if name, flags := sub(); name == "create" {
			return c.programCreate(ctx, flags)
		}
		return usageError{"program: the only subcommand is 'program create'"}
	case "invite":
		return c.invite(ctx, rest)
	case "payouts":
		if name, flags := sub(); name == "pay" {
			return c.payoutsPay(ctx, flags)
		}
		return usageError{"payouts: the only subcommand is 'payouts pay'"}
	case "earnings":
		if name, flags := sub(); name == "import" {
			return c.earningsImport(ctx, flags)
		}
		return usageError{"earnings: the only subcommand is 'earnings import FILE'"}
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// openStore connects to the configured database and brings its schema up to date.
func (c *cli) openStore(ctx context.Context) (*models.Store, error) {
	opts, err := c.cfg.storeOptions()
	if err != nil {
		return nil, err
	}
	store, err := models.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}
