package models_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// The dashboard is one statement (Store.Dashboard, Store.SessionDashboard); the same
// page read as plain queries, one per list (DashboardByQueries, kept in a test file), is
// the reference. Fixtures come through the product's rules: the demo (friends at every
// stage, clicks over five weeks, credits in review, approved, paid and rejected, a
// referred friend), plus a long program charted per week, a program ended early and a
// draft; every user is compared at several moments (before and after deadlines) and with
// several pages of friends.
func TestTheOneStatementDashboardIsTheOneTheRulesMake(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		if _, _, err := db.Store.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		long := createProgram(t, db, models.ProgramInput{Slug: "long-haul", Name: "Long haul", Deadline: db.Clock.Now().AddDate(0, 4, 0).Format("2006-01-02")})
		if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), long.Slug); err != nil {
			t.Fatal(err)
		}
		var code string
		if err := db.Store.DB().QueryRow(`SELECT i.code FROM invitations i JOIN users u ON u.id = i.referrer_id
			WHERE u.email = 'maria@example.com' AND i.program_id = ` + itoa(long.ID)).Scan(&code); err != nil {
			t.Fatal(err)
		}
		db.Clock.Advance(26 * time.Hour)
		if _, err := db.Store.CountClick(ctx, code); err != nil {
			t.Fatal(err)
		}
		signUp(t, db, "Zoë \"Z\" O'Neil \\ 李", "zoe@example.com", code)
		ended := createProgram(t, db, models.ProgramInput{Slug: "ended-early", Name: "Ended early", Deadline: db.Clock.Now().AddDate(0, 1, 0).Format("2006-01-02")})
		if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), ended.Slug); err != nil {
			t.Fatal(err)
		}
		in := ended.Input()
		in.Status = models.ProgramEnded
		if _, err := db.Store.UpdateProgram(ctx, models.CLIActor(), ended.Slug, in); err != nil {
			t.Fatal(err)
		}
		// Maria turns marketing email off herself (users.unsubscribed_at).
		maria, err := db.Store.UserByEmail(ctx, "maria@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.Unsubscribe(ctx, maria.ID, "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
		draft := createProgram(t, db, models.ProgramInput{Slug: "draft", Name: "Draft", Deadline: db.Clock.Now().AddDate(0, 2, 0).Format("2006-01-02"), Status: models.ProgramDraft})
		_ = draft

		var ids []int64
		rows, err := db.Store.DB().Query("SELECT id FROM users ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		queries := []models.DashboardQuery{
			{},
			{Program: "customer-service", Paging: models.Paging{Page: 1, PerPage: 2}},
			{Program: "customer-service", Paging: models.Paging{Page: 2, PerPage: 2}},
			{Program: "customer-service", Paging: models.Paging{Page: 9}},
			{Program: "long-haul"},
			{Program: "no-such-program", Paging: models.Paging{Page: 3}},
		}
		compared := 0
		for round, advance := range []time.Duration{0, 10 * 24 * time.Hour, 30 * 24 * time.Hour, 100 * 24 * time.Hour} {
			db.Clock.Advance(advance)
			if round == 1 {
				// Two credits approved in different months, so that every part of the
				// pipeline holds a different sum and the latest month's due date shows.
				var pending int64
				if err := db.Store.DB().QueryRow("SELECT id FROM payouts WHERE status = 'pending_review'").Scan(&pending); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Store.Approve(ctx, models.CLIActor(), pending); err != nil {
					t.Fatal(err)
				}
			}
			for _, id := range ids {
				for _, q := range queries {
					want, err := db.Store.DashboardByQueries(ctx, id, q)
					if err != nil {
						t.Fatal(err)
					}
					got, err := db.Store.Dashboard(ctx, id, q)
					if err != nil {
						t.Fatal(err)
					}
					sameDashboard(t, got, want, "user %d, %+v, %s on", id, q, db.Clock.Now())
					compared++

					user, d, err := db.Store.SessionDashboard(ctx, id, want.User.SessionVersion, q)
					if err != nil {
						t.Fatal(err)
					}
					if want.User.IsStaff() {
						if d != nil {
							t.Errorf("staff user %d got a dashboard read with their session", id)
						}
					} else if d == nil {
						t.Errorf("user %d: no dashboard with their current session", id)
					} else {
						sameDashboard(t, *d, want, "session of user %d, %+v", id, q)
					}
					sameDashboard(t, models.Dashboard{User: user}, models.Dashboard{User: want.User}, "session user %d", id)
				}
				// A session of another version (signed out elsewhere) gets the user, for
				// the check, and nothing of the page.
				user, d, err := db.Store.SessionDashboard(ctx, id, 99, models.DashboardQuery{})
				if err != nil || d != nil || user.ID != id {
					t.Errorf("an outdated session of user %d: %v, %v, %v", id, user.ID, d != nil, err)
				}
			}
		}
		if _, _, err := db.Store.SessionDashboard(ctx, 1_000_000, 1, models.DashboardQuery{}); err != models.ErrNotFound {
			t.Errorf("unknown user: %v, want ErrNotFound", err)
		}
		t.Logf("%d dashboards compared", compared)
	})
}

func createProgram(t *testing.T, db *modelstest.DB, in models.ProgramInput) models.Program {
	t.Helper()
	p, err := db.Store.CreateProgram(context.Background(), models.CLIActor(), in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sameDashboard compares two dashboards instant by instant (the time zone a driver
// attaches to a time is not part of the page), leaving out the secrets a session read
// does not load.
func sameDashboard(t *testing.T, got, want models.Dashboard, format string, args ...any) {
	t.Helper()
	for _, d := range []*models.Dashboard{&got, &want} {
		d.User.PasswordHash, d.User.TOTPSecret = "", ""
		inUTC(reflect.ValueOf(d).Elem())
	}
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	if string(g) == string(w) && reflect.DeepEqual(got, want) {
		return
	}
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			t.Errorf(format+": differs at line %d: got %s, want %s\ngot:\n%s", append(args, i, gl[i], wl[i], g)...)
			return
		}
	}
	t.Errorf(format+": differ (lengths %d, %d; or unexported fields: %+v vs %+v)", append(args, len(gl), len(wl), got, want)...)
}

var timeType = reflect.TypeOf(time.Time{})

// inUTC puts every time reachable from v in UTC.
func inUTC(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			inUTC(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == timeType {
			if v.CanSet() {
				v.Set(reflect.ValueOf(v.Interface().(time.Time).UTC()))
			}
			return
		}
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				inUTC(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			inUTC(v.Index(i))
		}
	}
}
