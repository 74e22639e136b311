package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// home sends each visitor to their start page.
func (h *Handler) home(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, homePath(currentUser(c)))
}

// homePath is the start page of u (nil: anonymous).
func homePath(u *models.User) string {
	switch {
	case u == nil:
		return "/login"
	case u.IsStaff():
		return "/admin"
	}
	return "/dashboard"
}

func (h *Handler) loginPage(c echo.Context) error {
	if u := currentUser(c); u != nil {
		return c.Redirect(http.StatusSeeOther, homePath(u))
	}
	return render(c, http.StatusOK, views.Login(h.page(c, "Sign in", ""), views.LoginForm{Next: safeNext(c.QueryParam("next"))}))
}

// login signs a user in with a fresh session and sends them where they were going.
func (h *Handler) login(c echo.Context) error {
	form := views.LoginForm{Email: c.FormValue("email"), Next: safeNext(c.FormValue("next"))}
	user, err := h.store.Authenticate(c.Request().Context(), form.Email, c.FormValue("password"), c.RealIP())
	switch {
	case errors.Is(err, models.ErrBadCredentials):
		form.Error = "That email and password don't match an account. Check them and try again."
		return render(c, http.StatusUnprocessableEntity, views.Login(h.page(c, "Sign in", ""), form))
	case errors.Is(err, models.ErrTooManyAttempts):
		form.Error = "Too many failed attempts. Wait 15 minutes, then try again."
		return render(c, http.StatusTooManyRequests, views.Login(h.page(c, "Sign in", ""), form))
	case errors.Is(err, models.ErrAccountDisabled):
		form.Error = "This account is disabled. Ask an owner of the program to enable it."
		return render(c, http.StatusForbidden, views.Login(h.page(c, "Sign in", ""), form))
	case err != nil:
		return err
	}
	return h.signInOrAskCode(c, user, form.Next)
}

// logout ends every session of the user (the cookie alone cannot be revoked) and this
// browser's cookie.
func (h *Handler) logout(c echo.Context) error {
	if u := currentUser(c); u != nil {
		if err := h.store.EndSessions(c.Request().Context(), u.ID); err != nil {
			return err
		}
	}
	if err := h.endSession(c, "You are signed out."); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}
