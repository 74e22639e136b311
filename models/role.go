package models

import (
	"errors"
	"fmt"
	"slices"
)

// Role says what a user may do: freelancers refer (or are referred); staff run the
// program, each staff role with its own share of the work (docs/rules.md, "Staff roles"). Staff are never
// referrers.
type Role string

const (
	RoleFreelancer Role = "freelancer"
	// RoleReviewer decides payouts.
	RoleReviewer Role = "reviewer"
	// RoleFinance pays batches and imports earnings.
	RoleFinance Role = "finance"
	// RoleOwner does everything, and alone manages programs, staff and webhooks.
	RoleOwner Role = "owner"
)

// StaffRoles are the roles of program staff, from the least to the most powerful.
func StaffRoles() []Role { return []Role{RoleReviewer, RoleFinance, RoleOwner} }

// IsStaff reports whether r is a staff role. Every staff role reads every admin page.
func (r Role) IsStaff() bool { return slices.Contains(StaffRoles(), r) }

// ParseStaffRole reads a staff role's name, as forms and the command line give it.
func ParseStaffRole(s string) (Role, error) {
	if r := Role(s); r.IsStaff() {
		return r, nil
	}
	return "", fmt.Errorf("role must be reviewer, finance or owner, not %q", s)
}

// Label is the role's name for people.
func (r Role) Label() string {
	switch r {
	case RoleReviewer:
		return "Reviewer"
	case RoleFinance:
		return "Finance"
	case RoleOwner:
		return "Owner"
	}
	return "Freelancer"
}

// Permission is one kind of staff action that changes money or settings. Reading needs
// none: every staff role reads every admin page and CSV.
type Permission string

const (
	DecidePayouts  Permission = "decide payouts"
	PayBatches     Permission = "pay batches"
	ImportEarnings Permission = "import earnings"
	// ManagePrograms covers creating and editing programs and running their invitations
	// and reminders.
	ManagePrograms Permission = "manage programs"
	ManageStaff    Permission = "manage staff"
	ManageWebhooks Permission = "manage webhooks"
	// RetryEmails puts a failed email back in the queue.
	RetryEmails Permission = "retry emails"
)

// permissions is docs/rules.md "Staff roles": a reviewer decides, finance pays and
// imports, the owner does everything. It is the one table both the routes' middleware and
// the Store consult.
var permissions = map[Role][]Permission{
	RoleReviewer: {DecidePayouts},
	RoleFinance:  {PayBatches, ImportEarnings},
	RoleOwner:    {DecidePayouts, PayBatches, ImportEarnings, ManagePrograms, ManageStaff, ManageWebhooks, RetryEmails},
}

// May reports whether a user of role r may take actions needing p.
func (r Role) May(p Permission) bool { return slices.Contains(permissions[r], p) }

// ErrForbidden is what every ForbiddenError is (errors.Is).
var ErrForbidden = errors.New("not allowed for this role")

// ForbiddenError refuses a staff action to an actor whose role lacks the permission. The
// Store returns it before changing anything.
type ForbiddenError struct {
	Role       Role
	Permission Permission
}

func (e *ForbiddenError) Error() string {
	if e.Role == "" || e.Role == RoleFreelancer {
		return "only program staff may " + string(e.Permission)
	}
	return fmt.Sprintf("a %s may not %s", e.Role, e.Permission)
}

func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

// may returns a ForbiddenError unless the actor's role has permission p.
func (a Actor) may(p Permission) error {
	if !a.Role.May(p) {
		return &ForbiddenError{Role: a.Role, Permission: p}
	}
	return nil
}
