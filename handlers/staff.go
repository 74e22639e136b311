package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// adminStaff lists the staff, with the form to add one (owners only).
func (h *Handler) adminStaff(c echo.Context) error {
	return h.renderStaff(c, http.StatusOK, views.AdminStaffModel{Role: string(models.RoleReviewer)})
}

func (h *Handler) renderStaff(c echo.Context, status int, m views.AdminStaffModel) error {
	staff, err := h.store.StaffList(c.Request().Context())
	if err != nil {
		return err
	}
	me := currentUser(c).ID
	for _, s := range staff {
		m.Staff = append(m.Staff, views.StaffRow{User: s, Self: s.ID == me})
	}
	return render(c, status, views.AdminStaff(h.page(c, "Staff", "/admin/staff"), m))
}

// adminAddStaff adds a member of staff, who is emailed a sign-in link.
func (h *Handler) adminAddStaff(c echo.Context) error {
	in := models.NewStaff{Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role")}
	u, err := h.store.AddStaff(c.Request().Context(), h.actor(c), in, h.signInLinkPath)
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.renderStaff(c, http.StatusUnprocessableEntity, views.AdminStaffModel{Email: in.Email, Name: in.Name, Role: in.Role, Errors: fe})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/admin/staff", views.FlashSuccess,
		fmt.Sprintf("Added %s as %s and emailed them a sign-in link.", u.Email, u.Role.Label()))
}

// adminStaffRole changes a member of staff's role.
func (h *Handler) adminStaffRole(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	role, err := models.ParseStaffRole(c.FormValue("role"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "Choose reviewer, finance or owner.")
	}
	u, err := h.store.SetStaffRole(c.Request().Context(), h.actor(c), id, role)
	if err != nil {
		return h.staffChangeRefused(c, err)
	}
	return h.redirectWithFlash(c, "/admin/staff", views.FlashSuccess, fmt.Sprintf("%s is now %s.", u.Name, u.Role.Label()))
}

// adminDisableStaff disables a member of staff: signed out at once, no more sign-in.
func (h *Handler) adminDisableStaff(c echo.Context) error {
	return h.staffSwitch(c, h.store.DisableUser, "%s is disabled and signed out everywhere.")
}

// adminEnableStaff lets a disabled member of staff sign in again.
func (h *Handler) adminEnableStaff(c echo.Context) error {
	return h.staffSwitch(c, h.store.EnableUser, "%s can sign in again.")
}

func (h *Handler) staffSwitch(c echo.Context, change func(ctx context.Context, a models.Actor, id int64) (models.User, error), done string) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.store.StaffMember(c.Request().Context(), id); err != nil {
		return err
	}
	u, err := change(c.Request().Context(), h.actor(c), id)
	if err != nil {
		return h.staffChangeRefused(c, err)
	}
	return h.redirectWithFlash(c, "/admin/staff", views.FlashSuccess, fmt.Sprintf(done, u.Name))
}

// staffChangeRefused says why a change to the staff was refused (the last owner), or
// passes other errors on.
func (h *Handler) staffChangeRefused(c echo.Context, err error) error {
	if errors.Is(err, models.ErrLastOwner) {
		return h.redirectWithFlash(c, "/admin/staff", views.FlashError,
			"That would leave no enabled owner to manage staff and programs. Make someone else an owner first.")
	}
	return err
}

// actor is the signed-in member of staff acting from this request's address.
func (h *Handler) actor(c echo.Context) models.Actor {
	return models.StaffActor(*currentUser(c), c.RealIP())
}
