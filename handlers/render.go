package handlers

import (
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"referrals/views"
)

// render writes a templ component as the HTML response. The page is rendered whole
// before anything is sent: a failure midway still gets the error page, and the response
// goes out with its length in a few writes rather than one per few kilobytes.
func render(c echo.Context, status int, page templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := page.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	return c.HTMLBlob(status, buf.Bytes())
}

// page is the shell every page needs: the viewer, the CSRF token, the pending flash
// message and the asset addresses. nav is the href of the current navigation entry.
func (h *Handler) page(c echo.Context, title, nav string) views.Page {
	p := views.Page{
		Title:       title,
		Nav:         nav,
		CSRF:        csrfToken(c),
		CSSURL:      h.assets.URL("app.css"),
		Marketplace: h.marketplace,
		JSURL:       h.assets.URL("app.js"),
	}
	if u := currentUser(c); u != nil {
		p.User = &views.Viewer{Name: u.Name, Email: u.Email, Role: u.Role}
	}
	if flash, err := h.takeFlash(c); err == nil {
		p.Flash = flash
	}
	return p
}

// redirectWithFlash sends the browser to target with a message for the next page.
func (h *Handler) redirectWithFlash(c echo.Context, target string, kind views.FlashKind, msg string) error {
	if err := h.flash(c, kind, msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, target)
}
