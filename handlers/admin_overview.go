package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// seriesWeeks is how many weeks the overview's chart shows unless a range is asked for.
const seriesWeeks = 12

// adminOverview is the staff's start page: what needs action first, then the weekly
// series and the funnel of one program or all, over a date range (`program`, `from`,
// `to`: YYYY-MM-DD).
func (h *Handler) adminOverview(c echo.Context) error {
	ctx := c.Request().Context()
	now := h.store.Now()
	m := views.AdminOverviewModel{Now: now, Program: strings.TrimSpace(c.QueryParam("program"))}
	programID, err := h.programFilter(ctx, m.Program)
	if err != nil {
		return err
	}
	to, err := dayParam(c, "to", now)
	if err != nil {
		return err
	}
	from, err := dayParam(c, "from", to.AddDate(0, 0, -7*(seriesWeeks-1)))
	if err != nil {
		return err
	}
	switch {
	case from.After(to):
		return badRequest("The range starts after it ends: %s is after %s.", from.Format(time.DateOnly), to.Format(time.DateOnly))
	case to.Sub(from) > models.MaxSeriesWeeks*7*24*time.Hour:
		return badRequest("Show at most %d weeks at once.", models.MaxSeriesWeeks)
	}
	m.From, m.To = from, to
	if m.Inbox, err = h.store.Inbox(ctx); err != nil {
		return err
	}
	if m.Totals, err = h.store.Overview(ctx, programID); err != nil {
		return err
	}
	if m.Series, err = h.store.WeeklySeries(ctx, programID, from, to); err != nil {
		return err
	}
	if m.Programs, err = h.store.ProgramChoices(ctx); err != nil {
		return err
	}
	if m.Active, err = h.store.ActivePrograms(ctx); err != nil {
		return err
	}
	if m.DisabledWebhooks, err = h.store.DisabledWebhookEndpoints(ctx); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminOverview(h.page(c, "Overview", "/admin"), m))
}

// dayParam reads a YYYY-MM-DD query parameter (a UTC day), or def when it is absent.
func dayParam(c echo.Context, name string, def time.Time) (time.Time, error) {
	v := strings.TrimSpace(c.QueryParam(name))
	if v == "" {
		return def, nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, badRequest("%q is not a date: use YYYY-MM-DD, like 2019-03-01.", v)
	}
	return d, nil
}
