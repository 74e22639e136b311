package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// adminPayouts is the review queue: pending review unless another status (or all) is
// asked for, searchable and paged.
func (h *Handler) adminPayouts(c echo.Context) error {
	return h.renderQueue(c, http.StatusOK, c.QueryParams(), views.AdminPayoutsModel{})
}

// renderQueue renders the review queue that query asks for (status, q, page), with the
// form state in m (a bulk rejection's reason and ticked boxes), answering status.
func (h *Handler) renderQueue(c echo.Context, status int, query url.Values, m views.AdminPayoutsModel) error {
	ctx := c.Request().Context()
	m.Status, m.Search = query.Get("status"), strings.TrimSpace(query.Get("q"))
	m.Here = (&url.URL{Path: "/admin/payouts", RawQuery: query.Encode()}).RequestURI()
	page, _ := strconv.Atoi(query.Get("page"))
	f := models.PayoutFilter{Status: models.PayoutStatus(m.Status), Search: m.Search, Paging: models.Paging{Page: page}}
	switch {
	case m.Status == "all":
		f.Status = ""
	case !models.ValidPayoutStatus(f.Status):
		m.Status, f.Status = string(models.PayoutPendingReview), models.PayoutPendingReview
	}
	var err error
	if m.Counts, err = h.store.PayoutCounts(ctx); err != nil {
		return err
	}
	if m.Page, err = h.store.ReviewQueue(ctx, f); err != nil {
		return err
	}
	return render(c, status, views.AdminPayouts(h.page(c, "Payouts", "/admin/payouts"), m))
}

// adminPayout shows one payout for review, with the earnings behind it.
func (h *Handler) adminPayout(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return h.renderPayout(c, http.StatusOK, views.AdminPayoutModel{Next: safeNext(c.QueryParam("next"))}, id)
}

// renderPayout renders the payout page with the form state in m.
func (h *Handler) renderPayout(c echo.Context, status int, m views.AdminPayoutModel, id int64) error {
	var err error
	if m.Detail, err = h.store.Payout(c.Request().Context(), id, paging(c)); err != nil {
		return err
	}
	m.Now = h.store.Now()
	return render(c, status, views.AdminPayout(h.page(c, "Payout "+views.Itoa(id), "/admin/payouts"), m))
}
