package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// Sign-in links (passwordless sign-in) let a freelancer without a password (created by
// the marketplace) or one who forgot theirs sign in from their mailbox: POST /login/link
// emails BASE_URL/login/link/TOKEN. The token is stateless: the user id, the user's
// session version and an expiry, signed by the tokens package (the unsubscribe links'
// codec, under a key of this purpose's own). Using it bumps the session version, so it
// works once.
//
// GET on the link only shows a "Sign in" button that POSTs the link back: mail scanners
// that fetch links to check them must not use the link up (or sign anyone in).

// errSignInLinkForged: the token is not one we signed (mistyped, cut short or tampered).
var errSignInLinkForged = errors.New("not a sign-in link token")

// errSignInLinkExpired: the token was signed by us but its time is up.
var errSignInLinkExpired = errors.New("the sign-in link has expired")

// signInLinkClaims is what a sign-in link token says.
type signInLinkClaims struct {
	UserID  int64 `json:"u"`
	Version int64 `json:"v"`
	Expires int64 `json:"e"` // Unix seconds
}

// signInLinkPath is the path of the link emailed to u, working until expires; the
// sender of the email puts its BASE_URL in front.
func (h *Handler) signInLinkPath(u models.User, expires time.Time) string {
	token, err := h.signInLinks.Encode(signInLinkClaims{UserID: u.ID, Version: u.SessionVersion, Expires: expires.Unix()})
	if err != nil {
		panic("encode a sign-in link: " + err.Error()) // three integers always encode
	}
	return "/login/link/" + token
}

// parseSignInLinkToken checks a token's signature (in constant time) and expiry, and
// returns its claims. Whether the link was used is the Store's to say.
func (h *Handler) parseSignInLinkToken(token string) (signInLinkClaims, error) {
	var claims signInLinkClaims
	if err := h.signInLinks.Decode(token, &claims); err != nil || claims.UserID <= 0 {
		return signInLinkClaims{}, errSignInLinkForged
	}
	if !h.store.Now().Before(time.Unix(claims.Expires, 0)) {
		return signInLinkClaims{}, errSignInLinkExpired
	}
	return claims, nil
}

// requestSignInLink emails a sign-in link to the address typed, if it has an account. The
// answer is the same either way (no account enumeration): back to the sign-in page with
// the same message.
func (h *Handler) requestSignInLink(c echo.Context) error {
	form := views.LoginForm{LinkEmail: c.FormValue("email")}
	if msg := models.ValidateEmail(form.LinkEmail); msg != "" {
		form.LinkError = msg
		return render(c, http.StatusUnprocessableEntity, views.Login(h.page(c, "Sign in", ""), form))
	}
	err := h.store.EmailSignInLink(c.Request().Context(), form.LinkEmail, c.RealIP(), h.signInLinkPath)
	switch {
	case errors.Is(err, models.ErrTooManyAttempts):
		form.LinkError = "Too many sign-in links were asked for from your network. Wait 15 minutes, then try again."
		return render(c, http.StatusTooManyRequests, views.Login(h.page(c, "Sign in", ""), form))
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, "/login", views.FlashInfo, views.SignInLinkSent())
}

// signInLinkPage is an emailed link opened: a page with one button that signs in (see
// above for why GET does not sign in), or why the link cannot.
func (h *Handler) signInLinkPage(c echo.Context) error {
	claims, err := h.parseSignInLinkToken(c.Param("token"))
	if err != nil {
		return h.renderSignInLinkInvalid(c, err)
	}
	user, err := h.store.SignInLinkUser(c.Request().Context(), claims.UserID, claims.Version)
	if err != nil {
		return h.renderSignInLinkInvalid(c, err)
	}
	return render(c, http.StatusOK, views.SignInLinkConfirm(h.page(c, "Sign in", ""), views.SignInLinkModel{
		Action: c.Request().URL.Path, Name: user.Name, Email: user.Email, Expires: time.Unix(claims.Expires, 0).UTC(),
	}))
}

// signInWithLink uses a sign-in link and starts a fresh session. Using it bumps the
// user's session version: the link (bound to the old version) dies, and so does every
// other session of the user, on purpose: a sign-in link is a recovery path, and whoever
// recovers an account should be the only one left in it.
func (h *Handler) signInWithLink(c echo.Context) error {
	claims, err := h.parseSignInLinkToken(c.Param("token"))
	if err != nil {
		return h.renderSignInLinkInvalid(c, err)
	}
	user, err := h.store.SignInWithLink(c.Request().Context(), claims.UserID, claims.Version, c.RealIP())
	if err != nil {
		return h.renderSignInLinkInvalid(c, err)
	}
	if user.IsStaff() && user.MFAEnrolled() {
		return h.signInOrAskCode(c, user, "") // the link is the first factor only
	}
	if err := h.startSession(c, user); err != nil {
		return err
	}
	return h.redirectWithFlash(c, homePath(&user), views.FlashSuccess, views.SignedInWithLink(user))
}

// renderSignInLinkInvalid answers a link that cannot sign in: 410 Gone for a link we
// issued that expired or was used, 400 for a token we never signed. Both show the same
// page, with the form to ask for a new link. Other errors go to the error page.
func (h *Handler) renderSignInLinkInvalid(c echo.Context, err error) error {
	status := http.StatusGone
	switch {
	case errors.Is(err, errSignInLinkForged):
		status = http.StatusBadRequest
	case errors.Is(err, errSignInLinkExpired), errors.Is(err, models.ErrSignInLinkUsed):
	default:
		return err
	}
	return render(c, status, views.SignInLinkInvalid(h.page(c, "This sign-in link has expired or was already used", "")))
}
