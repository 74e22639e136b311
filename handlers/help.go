package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// help shows the terms and FAQ of the live program (?program=SLUG picks another).
func (h *Handler) help(c echo.Context) error {
	ctx := c.Request().Context()
	m := views.HelpModel{Now: h.store.Now()}
	if slug := c.QueryParam("program"); slug != "" {
		p, err := h.store.PublishedProgramBySlug(ctx, slug)
		if err != nil {
			return err
		}
		m.Program = &p
	} else {
		programs, err := h.store.ActivePrograms(ctx)
		if err != nil {
			return err
		}
		m.Program = models.Featured(programs, m.Now)
	}
	return render(c, http.StatusOK, views.Help(h.page(c, "Terms and FAQ", "/help"), m))
}
