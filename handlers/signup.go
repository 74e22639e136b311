package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// signupPage is the sign-up form without a link: it shows the offer of the invite
// remembered in this browser (R4), if any, without counting a click.
func (h *Handler) signupPage(c echo.Context) error {
	if u := currentUser(c); u != nil {
		return c.Redirect(http.StatusSeeOther, homePath(u))
	}
	return h.renderSignup(c, http.StatusOK, h.signupModel(c, views.SignupForm{Code: h.attribution(c)}))
}

// signupModel is the sign-up page for form: with the offer of its code when the code is
// one somebody holds, else a plain sign-up.
func (h *Handler) signupModel(c echo.Context, form views.SignupForm) views.LandingModel {
	m := views.LandingModel{Form: form}
	if form.Code == "" {
		return m
	}
	offer, err := h.store.InviteOffer(c.Request().Context(), form.Code)
	if err != nil {
		m.Form.Code = "" // unknown or unreadable: a plain sign-up
		return m
	}
	m.Offer = &offer
	m.Form.Code = offer.Invitation.Code
	return m
}

// signup creates a friend's account (R5) with the invite code of the form, or else of
// the attribution cookie, and signs them in with a fresh session. Invalid input or an
// email that already has an account re-renders the form (422) with what was typed,
// except the password, and the message beside the field.
func (h *Handler) signup(c echo.Context) error {
	if u := currentUser(c); u != nil {
		return h.redirectWithFlash(c, homePath(u), views.FlashInfo, "You already have an account and are signed in.")
	}
	form := views.SignupForm{
		Name:    c.FormValue("name"),
		Email:   c.FormValue("email"),
		Country: c.FormValue("country"),
		Code:    c.FormValue("code"),
	}
	if form.Code == "" {
		form.Code = h.attribution(c)
	}
	res, err := h.store.SignUpFriend(c.Request().Context(), models.FriendSignup{
		Name: form.Name, Email: form.Email, Password: c.FormValue("password"), Country: form.Country,
		Code: form.Code, IP: c.RealIP(),
	})
	if fe, ok := models.AsFieldErrors(err); ok {
		form.Errors = fe
		return h.renderSignup(c, http.StatusUnprocessableEntity, h.signupModel(c, form))
	}
	switch {
	case errors.Is(err, models.ErrEmailTaken):
		form.EmailTaken = true
		form.Errors = models.FieldErrors{"email": "This email already has an account: sign in with it below (invites are for people new to the marketplace)."}
		return h.renderSignup(c, http.StatusUnprocessableEntity, h.signupModel(c, form))
	case errors.Is(err, models.ErrTooManyAttempts):
		form.Error = "Too many sign-up attempts from your network. Wait 15 minutes, then try again, or sign in if you already have an account."
		return h.renderSignup(c, http.StatusTooManyRequests, h.signupModel(c, form))
	case errors.Is(err, models.ErrTooManySignups):
		form.Error = "Too many accounts were created from your network in the last hour. Please try again later."
		return h.renderSignup(c, http.StatusTooManyRequests, h.signupModel(c, form))
	case err != nil:
		return err
	}
	h.clearAttribution(c)
	if err := h.startSession(c, res.Friend); err != nil {
		return err
	}
	kind, msg := views.SignupWelcome(res, h.store.Now())
	return h.redirectWithFlash(c, "/dashboard", kind, msg)
}
