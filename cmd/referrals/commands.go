package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"referrals/models"
	"referrals/views"
)

// flags returns a flag set that reports mistakes as usage errors instead of printing.
func flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args into fs, turning mistakes (and stray arguments) into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usageError{fs.Name() + ": " + err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

// stringList is a flag that may be repeated.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func (c *cli) migrate(ctx context.Context, args []string) error {
	if err := parse(flags("migrate"), args); err != nil {
		return err
	}
	opts, err := c.cfg.storeOptions()
	if err != nil {
		return err
	}
	store, err := models.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer store.Close()
	n, err := store.Migrate(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(c.stdout, "database is up to date")
	} else {
		fmt.Fprintf(c.stdout, "applied %d migration(s)\n", n)
	}
	return nil
}

func (c *cli) seed(ctx context.Context, args []string) error {
	fs := flags("seed")
	demo := fs.Bool("demo", false, "fill an empty database with demo data")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !*demo {
		return usageError{"seed: only 'seed --demo' is supported"}
	}
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	logins, seeded, err := store.SeedDemo(ctx)
	if err != nil {
		return err
	}
	if seeded {
		fmt.Fprintln(c.stdout, "Demo data created.")
	} else {
		fmt.Fprintln(c.stdout, "Demo data already present.")
	}
	fmt.Fprintf(c.stdout, "Sign in at %s/login with password %q as:\n", strings.TrimRight(c.cfg.BaseURL, "/"), models.DemoPassword)
	for _, l := range logins {
		fmt.Fprintf(c.stdout, "  %-20s %s\n", l.Email, l.Role)
		if l.TOTPURI != "" {
			fmt.Fprintf(c.stdout, "  %-20s   two-factor: add %s to an authenticator app,\n", "", l.TOTPURI)
			fmt.Fprintf(c.stdout, "  %-20s   or use a recovery code once: %s\n", "", strings.Join(l.RecoveryCodes, " "))
		}
	}
	return nil
}

func (c *cli) userAdd(ctx context.Context, args []string) error {
	fs := flags("user add")
	email := fs.String("email", "", "email address")
	name := fs.String("name", "", "full name")
	country := fs.String("country", models.DefaultCountry, "ISO 3166-1 alpha-2 country code")
	topRated := fs.Bool("top-rated", false, "the freelancer is Top Rated")
	roleName := fs.String("role", "", "create program staff with this role: reviewer, finance or owner")
	admin := fs.Bool("admin", false, "create an owner (the same as --role owner)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return usageError{"user add: --email and --name are required"}
	}
	role := models.RoleFreelancer
	switch {
	case *admin && *roleName != "" && *roleName != string(models.RoleOwner):
		return usageError{"user add: --admin means --role owner; give one of them"}
	case *admin:
		role = models.RoleOwner
	case *roleName != "":
		var err error
		if role, err = models.ParseStaffRole(*roleName); err != nil {
			return usageError{"user add: " + err.Error()}
		}
	}
	password, err := c.readPassword()
	if err != nil {
		return err
	}
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := store.CreateUser(ctx, models.NewUser{
		Email: *email, Name: *name, Password: password,
		Country: strings.ToUpper(*country), TopRated: *topRated, Role: role,
	})
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(c.stdout, "created %s %s (id %d)\n", u.Role, u.Email, u.ID)
	return nil
}

// readPassword reads the new password from standard input: without echo from a terminal,
// else the first line. Only the line ending is removed; spaces are part of a password.
func (c *cli) readPassword() (string, error) {
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("give the password on standard input")
	}
	return line, nil
}

func (c *cli) programCreate(ctx context.Context, args []string) error {
	fs := flags("program create")
	var in models.ProgramInput
	var categories stringList
	fs.StringVar(&in.Slug, "slug", "", "short name used in addresses")
	fs.StringVar(&in.Name, "name", "", "program name")
	fs.StringVar(&in.Deadline, "deadline", "", "last day, YYYY-MM-DD, in the program's time zone")
	fs.Var(&categories, "category", "category whose earnings count (repeatable)")
	fs.StringVar(&in.Threshold, "threshold", "500", "dollars a friend must earn")
	fs.StringVar(&in.Reward, "reward", "100", "dollars the referrer earns")
	fs.StringVar(&in.TimeZone, "time-zone", models.DefaultTimeZone, "display time zone")
	if err := parse(fs, args); err != nil {
		return err
	}
	if in.Slug == "" || in.Name == "" || in.Deadline == "" {
		return usageError{"program create: --slug, --name and --deadline are required"}
	}
	in.Categories = categories
	store, err := c.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	p, err := store.CreateProgram(ctx, models.CLIActor(), in)
	if err != nil {
		return fmt.Errorf("program create: %w", err)
	}
	fmt.Fprintf(c.stdout, "created program %s (%s): %s from %s by %s earns %s\n",
		p.Slug, p.Name, views.Money(p.ThresholdCents), views.ListWords(p.Categories),
		views.DateTime(p.Deadline, p.Location()), views.Money(p.RewardCents))
	return nil
}
