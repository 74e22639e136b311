package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

// whoMay is docs/rules.md "Staff roles", written out again here so that the rules' table
// (models.permissions) is checked against the spec rather than against itself.
var whoMay = map[models.Permission][]models.Role{
	models.DecidePayouts:  {models.RoleReviewer, models.RoleOwner},
	models.PayBatches:     {models.RoleFinance, models.RoleOwner},
	models.ImportEarnings: {models.RoleFinance, models.RoleOwner},
	models.ManagePrograms: {models.RoleOwner},
	models.ManageStaff:    {models.RoleOwner},
	models.ManageWebhooks: {models.RoleOwner},
	models.RetryEmails:    {models.RoleOwner},
}

func allowed(p models.Permission, r models.Role) bool {
	for _, ok := range whoMay[p] {
		if ok == r {
			return true
		}
	}
	return false
}

func TestRolesMayWhatTheSpecSays(t *testing.T) {
	roles := append([]models.Role{models.RoleFreelancer, ""}, models.StaffRoles()...)
	for p := range whoMay {
		for _, r := range roles {
			if got := r.May(p); got != allowed(p, r) {
				t.Errorf("%q may %s: %v, want %v", r, p, got, !got)
			}
		}
	}
}

// staffOf creates a member of staff with role r (or a freelancer) and returns them as
// an actor on the web.
func staffOf(t *testing.T, db *modelstest.DB, r models.Role) models.Actor {
	t.Helper()
	u := user(t, db, models.NewUser{Email: string(r) + "@example.com", Country: "US", Role: r})
	return models.StaffActor(u, "192.0.2.9")
}

// TestEveryStaffStoreActionRefusesTheWrongRole calls each Store method that changes
// money or settings as each role: a role without the permission gets a ForbiddenError
// and changes nothing (not even the audit log); a role with it is let through.
func TestEveryStaffStoreActionRefusesTheWrongRole(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		actors := map[models.Role]models.Actor{}
		for _, r := range append([]models.Role{models.RoleFreelancer}, models.StaffRoles()...) {
			actors[r] = staffOf(t, db, r)
		}
		f := pending(t, db, "Sam Rivera")
		p := f.Program
		// A failed email to retry.
		email := db.InsertID(t, "INSERT INTO emails (recipient, kind, subject, body_text, dedupe_key, status, attempts, last_error, created_at) "+
			"VALUES ('x@example.com', 'invitation', 's', 'b', 'k1', 'failed', 12, '550 no', ?)", db.Clock.Now())
		csv := parseCSV(t, "id,freelancer_email,amount,category,client_id,occurred_at\nevt_1,nobody@example.com,1.00,Design,cl_1,2019-03-02\n")
		payouts := []int64{f.Payout}
		for i := range 3 {
			payouts = append(payouts, pending(t, db, fmt.Sprintf("Friend Number%d", i)).Payout)
		}

		actions := []struct {
			name string
			need models.Permission
			do   func(models.Actor) error
		}{
			{"Approve", models.DecidePayouts, func(a models.Actor) error { _, err := db.Store.Approve(ctx, a, payouts[0]); return err }},
			{"Reject", models.DecidePayouts, func(a models.Actor) error {
				_, err := db.Store.Reject(ctx, a, payouts[1], "Not a real friend.")
				return err
			}},
			{"ApproveMany", models.DecidePayouts, func(a models.Actor) error {
				_, err := db.Store.ApproveMany(ctx, a, payouts[2:3])
				return err
			}},
			{"RejectMany", models.DecidePayouts, func(a models.Actor) error {
				_, err := db.Store.RejectMany(ctx, a, payouts[3:], "Not a real friend.")
				return err
			}},
			{"PayBatch", models.PayBatches, func(a models.Actor) error { _, err := db.Store.PayBatch(ctx, a, "2019-03"); return err }},
			{"PayBatchEach", models.PayBatches, func(a models.Actor) error {
				_, err := db.Store.PayBatchEach(ctx, a, "2019-03", nil)
				return err
			}},
			{"ImportEarnings", models.ImportEarnings, func(a models.Actor) error { _, err := db.Store.ImportEarnings(ctx, a, csv); return err }},
			{"CreateProgram", models.ManagePrograms, func(a models.Actor) error {
				_, err := db.Store.CreateProgram(ctx, a, models.ProgramInput{Slug: "p-" + string(a.Role), Name: "P", Deadline: "2019-04-15"})
				return err
			}},
			{"UpdateProgram", models.ManagePrograms, func(a models.Actor) error {
				_, err := db.Store.UpdateProgram(ctx, a, p.Slug, models.ProgramInput{Name: "Renamed by " + string(a.Role), Deadline: "2019-04-15"})
				return err
			}},
			{"InviteProgram", models.ManagePrograms, func(a models.Actor) error { _, err := db.Store.InviteProgram(ctx, a, p.Slug); return err }},
			{"SendReminders", models.ManagePrograms, func(a models.Actor) error { _, err := db.Store.SendReminders(ctx, a, p.Slug); return err }},
			{"RetryEmail", models.RetryEmails, func(a models.Actor) error { return db.Store.RetryEmail(ctx, a, email) }},
			{"AddStaff", models.ManageStaff, func(a models.Actor) error {
				_, err := db.Store.AddStaff(ctx, a, models.NewStaff{Email: "new-" + string(a.Role) + "@example.com", Name: "New", Role: "finance"},
					func(models.User, time.Time) string { return "http://x/login/link/t" })
				return err
			}},
			{"SetStaffRole", models.ManageStaff, func(a models.Actor) error {
				_, err := db.Store.SetStaffRole(ctx, a, actors[models.RoleFinance].UserID, models.RoleFinance)
				return err
			}},
			{"DisableUser", models.ManageStaff, func(a models.Actor) error {
				_, err := db.Store.DisableUser(ctx, a, f.Referrer.ID)
				return err
			}},
			{"EnableUser", models.ManageStaff, func(a models.Actor) error {
				_, err := db.Store.EnableUser(ctx, a, f.Referrer.ID)
				return err
			}},
			{"SetPassword", models.ManageStaff, func(a models.Actor) error {
				return db.Store.SetPassword(ctx, a, f.Friend.Email, "a new password")
			}},
			{"ResetMFA", models.ManageStaff, func(a models.Actor) error {
				err := db.Store.ResetMFA(ctx, a, actors[models.RoleReviewer].Label)
				if err != nil && !errors.Is(err, models.ErrForbidden) {
					return nil // not enrolled: refused for that, past the role check
				}
				return err
			}},
		}
		for _, act := range actions {
			for _, r := range append([]models.Role{models.RoleFreelancer}, models.StaffRoles()...) {
				audited := db.Count(t, "audit_events", "")
				err := act.do(actors[r])
				if allowed(act.need, r) {
					if errors.Is(err, models.ErrForbidden) {
						t.Errorf("%s as %s: %v, want allowed", act.name, r, err)
					}
					continue
				}
				var fe *models.ForbiddenError
				if !errors.As(err, &fe) || fe.Role != r || fe.Permission != act.need {
					t.Errorf("%s as %s: %v, want a ForbiddenError for %s", act.name, r, err, act.need)
				}
				if n := db.Count(t, "audit_events", ""); n != audited {
					t.Errorf("%s as %s was refused but audited", act.name, r)
				}
			}
		}
		// What the refused roles tried left no mark: each decision is the allowed role's.
		for _, id := range payouts {
			d := payoutStatus(t, db, id)
			if d.Payout.DecidedBy == nil || (*d.Payout.DecidedBy != actors[models.RoleReviewer].UserID && *d.Payout.DecidedBy != actors[models.RoleOwner].UserID) {
				t.Errorf("payout %d decided by %v", id, d.Payout.DecidedBy)
			}
		}
		if prog, err := db.Store.ProgramBySlug(ctx, p.Slug); err != nil || !strings.HasSuffix(prog.Name, "owner") {
			t.Errorf("program name %q (%v), want the owner's edit only", prog.Name, err)
		}
	})
}

func TestCLIActsAsAnOwner(t *testing.T) {
	for p := range whoMay {
		if !models.CLIActor().Role.May(p) {
			t.Errorf("the command line may not %s", p)
		}
	}
}

// TestMigrationMakesAdminsOwners undoes the roles migration, adds an admin the way the
// first release did (with rows that refer to it), and migrates again.
func TestMigrationMakesAdminsOwners(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		f := pending(t, db, "Sam Rivera")
		if err := db.Store.MigrateSchemaDownTo(ctx, 4); err != nil { // before 00005_staff_roles
			t.Fatal(err)
		}
		now := db.Clock.Now()
		admin := db.InsertID(t, "INSERT INTO users (role, email, name, created_at, updated_at) VALUES ('admin', 'old@example.com', 'Old Admin', ?, ?)", now, now)
		db.Exec(t, "UPDATE payouts SET status = 'rejected', reject_reason = 'no', decided_by = ?, decided_at = ? WHERE id = ?", admin, now, f.Payout)
		db.Exec(t, "INSERT INTO audit_events (actor_id, actor, action, created_at) VALUES (?, 'old@example.com', 'payout.reject', ?)", admin, now)
		if _, err := db.Store.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		u, err := db.Store.UserByID(ctx, admin)
		if err != nil || u.Role != models.RoleOwner {
			t.Fatalf("the admin after migrating: %+v, %v; want an owner", u, err)
		}
		if r, _ := db.Store.UserByID(ctx, f.Referrer.ID); r.Role != models.RoleFreelancer {
			t.Errorf("a freelancer became %q", r.Role)
		}
		if db.Count(t, "payouts", "decided_by = ?", admin) != 1 || db.Count(t, "audit_events", "actor_id = ?", admin) != 1 {
			t.Error("rows referring to the admin were lost")
		}
		if db.Store.Dialect() == models.SQLite {
			if n := db.Count(t, "pragma_foreign_key_check", ""); n != 0 {
				t.Errorf("%d foreign key violations after the rebuild", n)
			}
		}
		// The new schema refuses an unknown role and takes each staff role.
		if _, err := db.Store.CreateUser(ctx, models.NewUser{Email: "r@example.com", Name: "R", Password: "correct horse", Country: "US", Role: models.RoleReviewer}); err != nil {
			t.Error(err)
		}
		if _, err := db.Store.DB().Exec("UPDATE users SET role = 'admin' WHERE id = " + fmt.Sprint(admin)); err == nil {
			t.Error("the role 'admin' is still accepted")
		}
	})
}
