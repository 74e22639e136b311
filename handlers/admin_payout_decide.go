package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// Decisions on payouts (R10). Each answers with a redirect and a flash saying what
// happened; a decision that came second changes nothing and says "already decided".

// adminApprovePayout approves one payout.
func (h *Handler) adminApprovePayout(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := h.store.Approve(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), id)
	switch {
	case errors.Is(err, models.ErrAlreadyDecided):
		return h.redirectWithFlash(c, returnTo(c, fmt.Sprintf("/admin/payouts/%d", id)), views.FlashInfo, fmt.Sprintf("Payout %d was already decided; nothing changed.", id))
	case err != nil:
		return err
	}
	next, said := h.nextInQueue(c, id)
	return h.redirectWithFlash(c, next, views.FlashSuccess,
		fmt.Sprintf("Approved payout %d: %s joins the %s batch.%s", id, views.Money(p.AmountCents), views.MonthName(*p.BatchMonth), said))
}

// adminRejectPayout rejects one payout for the reason given; without one the page comes
// back with the message beside the field and nothing changed.
func (h *Handler) adminRejectPayout(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	reason := rejectReason(c)
	_, err = h.store.Reject(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), id, reason)
	if fe, ok := models.AsFieldErrors(err); ok {
		m := views.AdminPayoutModel{Reason: c.FormValue("reason"), ReasonError: fe["reason"], Next: safeNext(c.FormValue("next"))}
		return h.renderPayout(c, http.StatusUnprocessableEntity, m, id)
	}
	switch {
	case errors.Is(err, models.ErrAlreadyDecided):
		return h.redirectWithFlash(c, returnTo(c, fmt.Sprintf("/admin/payouts/%d", id)), views.FlashInfo, fmt.Sprintf("Payout %d was already decided; nothing changed.", id))
	case err != nil:
		return err
	}
	next, said := h.nextInQueue(c, id)
	return h.redirectWithFlash(c, next, views.FlashSuccess, fmt.Sprintf("Rejected payout %d.%s", id, said))
}

// rejectReason is the reason a rejection form gives: the text typed (perhaps a canned
// reason edited), or else the canned reason picked (without JavaScript nothing copies
// it into the text).
func rejectReason(c echo.Context) string {
	if reason := c.FormValue("reason"); strings.TrimSpace(reason) != "" {
		return reason
	}
	if preset := c.FormValue("reason_preset"); slices.Contains(models.RejectionReasons(), preset) {
		return preset
	}
	return ""
}

// adminApprovePayouts approves the selected payouts (`ids`) and says what became of them.
func (h *Handler) adminApprovePayouts(c echo.Context) error {
	return h.decidePayouts(c, "approved", func(actor models.Actor, ids []int64) ([]models.DecisionOutcome, error) {
		return h.store.ApproveMany(c.Request().Context(), actor, ids)
	})
}

// adminRejectPayouts rejects the selected payouts (`ids`) for one `reason`; without a
// reason the queue comes back with the message beside the field, the boxes still ticked,
// and nothing changed.
func (h *Handler) adminRejectPayouts(c echo.Context) error {
	reason := rejectReason(c)
	return h.decidePayouts(c, "rejected", func(actor models.Actor, ids []int64) ([]models.DecisionOutcome, error) {
		outcomes, err := h.store.RejectMany(c.Request().Context(), actor, ids, reason)
		if fe, ok := models.AsFieldErrors(err); ok {
			query := url.Values{}
			if u, perr := url.Parse(safeNext(c.FormValue("next"))); perr == nil {
				query = u.Query()
			}
			m := views.AdminPayoutsModel{Reason: c.FormValue("reason"), ReasonError: fe["reason"], Selected: map[int64]bool{}}
			for _, id := range ids {
				m.Selected[id] = true
			}
			return nil, h.renderQueue(c, http.StatusUnprocessableEntity, query, m)
		}
		return outcomes, err
	})
}

// decidePayouts applies one bulk decision to the selected payouts and says, in a flash on
// the queue, what became of them. decide returns nil outcomes when it rendered a page.
func (h *Handler) decidePayouts(c echo.Context, verb string, decide func(models.Actor, []int64) ([]models.DecisionOutcome, error)) error {
	ids, err := formIDs(c, "ids")
	if err != nil {
		return err
	}
	back := returnTo(c, "/admin/payouts")
	if len(ids) == 0 {
		return h.redirectWithFlash(c, back, views.FlashError, "Select at least one payout.")
	}
	if len(ids) > models.MaxBulkDecisions {
		return h.redirectWithFlash(c, back, views.FlashError, fmt.Sprintf("Decide at most %d payouts at once.", models.MaxBulkDecisions))
	}
	outcomes, err := decide(models.StaffActor(*currentUser(c), c.RealIP()), ids)
	if err != nil || outcomes == nil {
		return err
	}
	kind := views.FlashSuccess
	for _, o := range outcomes {
		if o.Err != nil {
			kind = views.FlashInfo // some were left alone: say so without claiming success
		}
	}
	return h.redirectWithFlash(c, back, kind, views.DecisionSummary(verb, outcomes)+".")
}
