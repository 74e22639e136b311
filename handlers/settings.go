package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// settings is /settings for everyone signed in: the password and, for freelancers, the
// marketing-email preference; for staff, their two-factor sign-in.
func (h *Handler) settings(c echo.Context) error {
	return h.renderSettings(c, http.StatusOK, views.SettingsModel{})
}

func (h *Handler) renderSettings(c echo.Context, status int, m views.SettingsModel) error {
	u := currentUser(c)
	m.HasPassword = u.PasswordHash != ""
	m.Staff = u.IsStaff()
	m.MFAEnrolled = u.MFAEnrolled()
	m.MarketingEmails = !u.EmailOptOut
	if m.MFAEnrolled {
		left, err := h.store.RecoveryCodesLeft(c.Request().Context(), u.ID)
		if err != nil {
			return err
		}
		m.RecoveryLeft = left
	}
	return render(c, status, views.Settings(h.page(c, "Settings", "/settings"), m))
}

// changePassword changes (or, after a link sign-in without one, sets) the password. It
// ends the account's other sessions and keeps this one, with the new session version.
func (h *Handler) changePassword(c echo.Context) error {
	u := currentUser(c)
	current := c.FormValue("current_password")
	if u.PasswordHash == "" {
		current = ""
	}
	user, err := h.store.ChangePassword(c.Request().Context(), u.ID, current, c.FormValue("new_password"), c.RealIP())
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.renderSettings(c, http.StatusUnprocessableEntity, views.SettingsModel{
			CurrentPasswordError: fe["current_password"], NewPasswordError: fe["new_password"],
		})
	}
	if err != nil {
		return err
	}
	if err := h.startSession(c, user); err != nil {
		return err
	}
	msg := "Your password is changed. You are signed out everywhere else."
	if u.PasswordHash == "" {
		msg = "Your password is set. You can now sign in with it."
	}
	return h.redirectWithFlash(c, "/settings", views.FlashSuccess, msg)
}

// setEmailPreference records whether the person wants invitations and reminders
// (`marketing_emails` = on, or absent for no).
func (h *Handler) setEmailPreference(c echo.Context) error {
	on := c.FormValue("marketing_emails") == "on"
	if err := h.store.SetMarketingEmails(c.Request().Context(), currentUser(c).ID, on, c.RealIP()); err != nil {
		return err
	}
	msg := "You will get no more invitations or reminders."
	if on {
		msg = "You will get invitations and reminders."
	}
	return h.redirectWithFlash(c, "/settings", views.FlashSuccess, msg)
}
