package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// One-click unsubscribe (RFC 8058, RFC 2369): every marketing email (invitation,
// reminder) carries BASE_URL/unsubscribe/TOKEN in its List-Unsubscribe header and in
// both of its parts. TOKEN is the recipient's user id, signed (views.Emails.Unsubscribe);
// it never expires, since an old email's link must keep working.
//
// POST unsubscribes at once, with no session and no CSRF field: mail providers post
// "List-Unsubscribe=One-Click" from their servers when the reader presses their
// Unsubscribe button, and the signed token is the only authority needed. GET only shows
// a page with one button that posts: link scanners and previews follow GETs.

// errBadUnsubscribeLink answers a token we did not sign, or of a user who is gone.
var errBadUnsubscribeLink = echo.NewHTTPError(http.StatusBadRequest,
	"This unsubscribe link is not valid: it may have been cut short when it was copied. Open it again from the email, or sign in and turn off marketing email in your settings.")

// unsubscribeUser is the user a link's token names.
func (h *Handler) unsubscribeUser(c echo.Context) (models.User, error) {
	var id int64
	if err := h.emails.Unsubscribe.Decode(c.Param("token"), &id); err != nil {
		return models.User{}, errBadUnsubscribeLink
	}
	u, err := h.store.UserByID(c.Request().Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		return models.User{}, errBadUnsubscribeLink
	}
	return u, err
}

// unsubscribePage shows the one button that unsubscribes (or that it is done already).
func (h *Handler) unsubscribePage(c echo.Context) error {
	u, err := h.unsubscribeUser(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Unsubscribe(h.page(c, "Unsubscribe", ""), views.UnsubscribeModel{
		Action: c.Request().URL.Path, Email: u.Email, Done: u.EmailOptOut,
	}))
}

// unsubscribe turns marketing email off for the link's user and cancels what is queued.
func (h *Handler) unsubscribe(c echo.Context) error {
	u, err := h.unsubscribeUser(c)
	if err != nil {
		return err
	}
	if u, err = h.store.Unsubscribe(c.Request().Context(), u.ID, c.RealIP()); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Unsubscribe(h.page(c, "Unsubscribed", ""), views.UnsubscribeModel{
		Action: c.Request().URL.Path, Email: u.Email, Done: true,
	}))
}
