package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/views"
)

// adminOverview is the admins' start page: totals, the funnel and the active programs.
func (h *Handler) adminOverview(c echo.Context) error {
	ctx := c.Request().Context()
	totals, err := h.store.Overview(ctx)
	if err != nil {
		return err
	}
	programs, err := h.store.ActivePrograms(ctx)
	if err != nil {
		return err
	}
	disabled, err := h.store.DisabledWebhookEndpoints(ctx)
	if err != nil {
		return err
	}
	m := views.AdminOverviewModel{Now: h.store.Now(), Totals: totals, Programs: programs, DisabledWebhooks: disabled}
	return render(c, http.StatusOK, views.AdminOverview(h.page(c, "Overview", "/admin"), m))
}
