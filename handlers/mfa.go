package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// Two-factor sign-in for staff (docs/rules.md, "Staff roles"). A staff member who has enrolled and passes the
// password (or a sign-in link) is not signed in yet: the session remembers them as
// pending for a few minutes, and POST /login/mfa with a code starts the real session.
// Before enrolling, a staff member is signed in but reaches only /settings/mfa (and
// sign-out); the secret being enrolled waits in the (encrypted) session cookie.

// Session values of the two-factor steps.
const (
	keyPendingUser    = "mfa_uid"
	keyPendingVersion = "mfa_ver"
	keyPendingAt      = "mfa_at"
	keyPendingNext    = "mfa_next"
	keyEnrolSecret    = "totp_secret"
)

// mfaPendingFor is how long the code step waits after the password.
const mfaPendingFor = 5 * time.Minute

// signInOrAskCode starts user's session, or, for staff with two-factor sign-in, asks for
// the code first (the code form is the answer). next is where to go afterwards.
func (h *Handler) signInOrAskCode(c echo.Context, user models.User, next string) error {
	if !user.IsStaff() || !user.MFAEnrolled() {
		if err := h.startSession(c, user); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, cmpOr(next, homePath(&user)))
	}
	sess := h.freshSession(c)
	sess.Values[keyPendingUser] = user.ID
	sess.Values[keyPendingVersion] = user.SessionVersion
	sess.Values[keyPendingAt] = h.store.Now().Unix()
	sess.Values[keyPendingNext] = next
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.LoginMFA(h.page(c, "Enter your code", ""), views.LoginMFAForm{}))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// loginMFA checks the code of a pending staff sign-in and starts the session.
func (h *Handler) loginMFA(c echo.Context) error {
	sess := h.session(c)
	uid, _ := sess.Values[keyPendingUser].(int64)
	version, _ := sess.Values[keyPendingVersion].(int64)
	at, _ := sess.Values[keyPendingAt].(int64)
	next, _ := sess.Values[keyPendingNext].(string)
	if uid == 0 || h.store.Now().Sub(time.Unix(at, 0)) > mfaPendingFor {
		return h.redirectWithFlash(c, "/login", views.FlashInfo, "Your sign-in took too long. Please sign in again.")
	}
	form := views.LoginMFAForm{}
	user, err := h.store.VerifySecondFactor(c.Request().Context(), uid, c.FormValue("code"), c.RealIP())
	switch {
	case errors.Is(err, models.ErrBadCode):
		form.Error = "That code doesn't match, or was already used. Enter the code your app shows now, or a recovery code."
		return render(c, http.StatusUnprocessableEntity, views.LoginMFA(h.page(c, "Enter your code", ""), form))
	case errors.Is(err, models.ErrTooManyAttempts):
		form.Error = "Too many wrong codes. Wait 15 minutes, then try again."
		return render(c, http.StatusTooManyRequests, views.LoginMFA(h.page(c, "Enter your code", ""), form))
	case err != nil:
		return err
	}
	if user.SessionVersion != version || user.Disabled() {
		// Signed out everywhere (or disabled) since the password step.
		return h.redirectWithFlash(c, "/login", views.FlashInfo, "Please sign in again.")
	}
	if err := h.startSession(c, user); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, cmpOr(next, homePath(&user)))
}

// mfaPage shows enrolment (with a new secret, kept in the session until confirmed), or
// that two-factor sign-in is on.
func (h *Handler) mfaPage(c echo.Context) error {
	u := currentUser(c)
	if u.MFAEnrolled() {
		left, err := h.store.RecoveryCodesLeft(c.Request().Context(), u.ID)
		if err != nil {
			return err
		}
		return render(c, http.StatusOK, views.MFAStatus(h.page(c, "Two-factor sign-in", "/settings"), left))
	}
	sess := h.session(c)
	secret, _ := sess.Values[keyEnrolSecret].(string)
	if secret == "" {
		key, err := models.NewTOTPKey(u.Email)
		if err != nil {
			return err
		}
		secret = key.Secret
		sess.Values[keyEnrolSecret] = secret
		if err := sess.Save(c.Request(), c.Response()); err != nil {
			return err
		}
	}
	return h.renderEnrol(c, http.StatusOK, secret, "")
}

func (h *Handler) renderEnrol(c echo.Context, status int, secret, codeError string) error {
	m := views.MFAEnrolModel{Secret: secret, URI: models.TOTPURI(currentUser(c).Email, secret), CodeError: codeError}
	var err error
	if m.QR, err = views.NewQRCode(m.URI); err != nil {
		return err
	}
	return render(c, status, views.MFAEnrol(h.page(c, "Set up two-factor sign-in", "/settings"), m))
}

// enrolMFA turns two-factor sign-in on once the code matches the secret shown, and shows
// the recovery codes, once.
func (h *Handler) enrolMFA(c echo.Context) error {
	u := currentUser(c)
	if u.MFAEnrolled() {
		return c.Redirect(http.StatusSeeOther, "/settings/mfa")
	}
	sess := h.session(c)
	secret, _ := sess.Values[keyEnrolSecret].(string)
	if secret == "" {
		return c.Redirect(http.StatusSeeOther, "/settings/mfa")
	}
	user, codes, err := h.store.EnrolTOTP(c.Request().Context(), u.ID, secret, c.FormValue("code"), c.RealIP())
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.renderEnrol(c, http.StatusUnprocessableEntity, secret, fe["code"])
	}
	if err != nil {
		return err
	}
	// Enrolment ended the other sessions (opened without a code); this one goes on.
	if err := h.startSession(c, user); err != nil {
		return err
	}
	c.Set(ctxUser, &user)
	return render(c, http.StatusOK, views.MFARecoveryCodes(h.page(c, "Save your recovery codes", "/settings"), codes, homePath(&user)))
}

// requireEnrolled sends staff who have not set up two-factor sign-in to do so (303 to
// /settings/mfa) before any other page. Freelancers pass.
func (h *Handler) requireEnrolled(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := currentUser(c); u != nil && u.IsStaff() && !u.MFAEnrolled() {
			return c.Redirect(http.StatusSeeOther, "/settings/mfa")
		}
		return next(c)
	}
}

// requireStaffRole answers 403 to anyone signed in who is not staff (the enrolment page
// is for staff; freelancers are never asked).
func (h *Handler) requireStaffRole(next echo.HandlerFunc) echo.HandlerFunc {
	return h.requireUser(func(c echo.Context) error {
		if !currentUser(c).IsStaff() {
			return echo.NewHTTPError(http.StatusForbidden, "Two-factor sign-in is for program staff.")
		}
		return next(c)
	})
}
