package handlers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// adminPayouts is the review queue: pending review unless another status (or all) is
// asked for, filtered by flag, program and text, in the order asked for, and paged.
func (h *Handler) adminPayouts(c echo.Context) error {
	return h.renderQueue(c, http.StatusOK, c.QueryParams(), views.AdminPayoutsModel{})
}

// payoutQuery reads the review queue's filters (status, flag, program, q, sort)
// from query. An unknown status, flag, program or sort answers 400 with what is known.
func (h *Handler) payoutQuery(ctx context.Context, query url.Values) (views.PayoutQuery, models.PayoutFilter, error) {
	pq := views.PayoutQuery{
		Status:  strings.TrimSpace(query.Get("status")),
		Flag:    strings.TrimSpace(query.Get("flag")),
		Program: strings.TrimSpace(query.Get("program")),
		Search:  strings.TrimSpace(query.Get("q")),
		Sort:    strings.TrimSpace(query.Get("sort")),
	}
	if pq.Status == "" {
		pq.Status = string(models.PayoutPendingReview)
	}
	if pq.Sort == "" {
		pq.Sort = string(models.SortOldest)
	}
	f := models.PayoutFilter{Status: models.PayoutStatus(pq.Status), Flag: pq.Flag, Search: pq.Search, Sort: models.PayoutSort(pq.Sort)}
	switch {
	case pq.Status == "all":
		f.Status = ""
	case !models.ValidPayoutStatus(f.Status):
		return pq, f, badRequest("There is no payout status %q: use pending_review, approved, paid, rejected or all.", pq.Status)
	}
	if pq.Flag != "" && !models.ValidFlag(pq.Flag) {
		return pq, f, badRequest("There is no flag %q: use one of %s.", pq.Flag, strings.Join(models.FlagsBySeverity(), ", "))
	}
	if !models.ValidPayoutSort(f.Sort) {
		return pq, f, badRequest("There is no order %q: use oldest, newest or risk.", pq.Sort)
	}
	if pq.Program != "" {
		p, err := h.store.ProgramBySlug(ctx, pq.Program)
		if errors.Is(err, models.ErrNotFound) {
			return pq, f, badRequest("There is no program %q.", pq.Program)
		}
		if err != nil {
			return pq, f, err
		}
		f.ProgramID = p.ID
	}
	var err error
	f.Paging, err = pagingOf(query)
	return pq, f, err
}

// renderQueue renders the review queue that query asks for, with the form state in m (a
// bulk rejection's reason and ticked boxes), answering status.
func (h *Handler) renderQueue(c echo.Context, status int, query url.Values, m views.AdminPayoutsModel) error {
	ctx := c.Request().Context()
	var f models.PayoutFilter
	var err error
	if m.Query, f, err = h.payoutQuery(ctx, query); err != nil {
		return err
	}
	m.Here = m.Query.Href("/admin/payouts", f.Paging.Page)
	if m.Counts, err = h.store.PayoutCounts(ctx, f.ProgramID); err != nil {
		return err
	}
	if m.Programs, err = h.store.ProgramChoices(ctx); err != nil {
		return err
	}
	if m.Page, err = h.store.ReviewQueue(ctx, f); err != nil {
		return err
	}
	if err := pastTheEnd(m.Page); err != nil {
		return err
	}
	m.Reasons = models.RejectionReasons()
	return render(c, status, views.AdminPayouts(h.page(c, "Payouts", "/admin/payouts"), m))
}

// adminPayoutsCSV exports the payouts the queue's filters choose (the same parameters
// and defaults), streamed row by row.
func (h *Handler) adminPayoutsCSV(c echo.Context) error {
	ctx := c.Request().Context()
	_, f, err := h.payoutQuery(ctx, c.QueryParams())
	if err != nil {
		return err
	}
	return streamCSV(c, "payouts.csv", views.PayoutsCSVHeader(), func(write func([]string) error) error {
		return h.store.EachPayout(ctx, f, func(r models.PayoutRow) error { return write(views.PayoutsCSVRow(r)) })
	})
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
	if m.PastRejections, err = h.store.PastRejections(c.Request().Context(), m.Detail.ReferrerID, id); err != nil {
		return err
	}
	m.Now = h.store.Now()
	m.Reasons = models.RejectionReasons()
	return render(c, status, views.AdminPayout(h.page(c, "Payout "+views.Itoa(id), "/admin/payouts"), m))
}

// nextInQueue is where a decision on payout id sends the reviewer. From a payout's page
// (the form's `then` is "next") it is the next payout pending review in the queue they
// came from (`next`, with its filters), or that queue when none is left; from the queue
// itself it is the queue again; without a queue, the payout's page.
func (h *Handler) nextInQueue(c echo.Context, id int64) (target, said string) {
	next := safeNext(c.FormValue("next"))
	u, err := url.Parse(next)
	if next == "" || err != nil || u.Path != "/admin/payouts" || c.FormValue("then") != "next" {
		return cmp.Or(next, fmt.Sprintf("/admin/payouts/%d", id)), ""
	}
	_, f, err := h.payoutQuery(c.Request().Context(), u.Query())
	if err != nil {
		return "/admin/payouts", ""
	}
	following, err := h.store.NextPending(c.Request().Context(), f, id)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return next, " Nothing else is waiting in this queue."
	case err != nil:
		return next, ""
	}
	return fmt.Sprintf("/admin/payouts/%d?next=%s", following, url.QueryEscape(next)), fmt.Sprintf(" Next: payout %d.", following)
}

// badRequest is a 400 whose message the error page shows.
func badRequest(format string, args ...any) error {
	return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf(format, args...))
}

// adminPerPage is how many rows an admin list shows a page: enough to triage at a
// glance and to bulk-approve, few enough that every list answers fast at volume (the
// exports have every row).
const adminPerPage = 25

// pagingOf reads ?page=N; anything but a positive whole number answers 400.
func pagingOf(query url.Values) (models.Paging, error) {
	v := strings.TrimSpace(query.Get("page"))
	if v == "" {
		return models.Paging{Page: 1, PerPage: adminPerPage}, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return models.Paging{}, badRequest("The page must be a whole number from 1, not %q.", v)
	}
	if n > models.MaxListPage {
		return models.Paging{}, badRequest("Lists show their first %d pages (%s rows), not page %d: narrow the list with its filters or search.",
			models.MaxListPage, views.Int64(models.MaxListPage*adminPerPage), n)
	}
	return models.Paging{Page: n, PerPage: adminPerPage}, nil
}

// pastTheEnd answers 404 for a page after the last one of a list.
func pastTheEnd[T any](p models.Page[T]) error {
	if p.Paging.Page > 1 && len(p.Items) == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "That page is past the end of the list.")
	}
	return nil
}
