package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/views"
)

// adminOverview is the admins' start page.
func (h *Handler) adminOverview(c echo.Context) error {
	programs, err := h.store.ActivePrograms(c.Request().Context())
	if err != nil {
		return err
	}
	m := views.AdminOverviewModel{Now: h.store.Now(), Programs: programs}
	return render(c, http.StatusOK, views.AdminOverview(h.page(c, "Overview", "/admin"), m))
}
