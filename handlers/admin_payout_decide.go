package handlers

import (
	"errors"
	"fmt"
	"net/http"

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
	back := returnTo(c, fmt.Sprintf("/admin/payouts/%d", id))
	p, err := h.store.Approve(c.Request().Context(), models.AdminActor(*currentUser(c), c.RealIP()), id)
	switch {
	case errors.Is(err, models.ErrAlreadyDecided):
		return h.redirectWithFlash(c, back, views.FlashInfo, fmt.Sprintf("Payout %d was already decided; nothing changed.", id))
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, back, views.FlashSuccess,
		fmt.Sprintf("Approved payout %d: %s joins the %s batch.", id, views.Money(p.AmountCents), views.MonthName(*p.BatchMonth)))
}

// adminRejectPayout rejects one payout for the reason given; without one the page comes
// back with the message beside the field and nothing changed.
func (h *Handler) adminRejectPayout(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	back := returnTo(c, fmt.Sprintf("/admin/payouts/%d", id))
	_, err = h.store.Reject(c.Request().Context(), models.AdminActor(*currentUser(c), c.RealIP()), id, reason)
	if fe, ok := models.AsFieldErrors(err); ok {
		m := views.AdminPayoutModel{Reason: reason, ReasonError: fe["reason"], Next: safeNext(c.FormValue("next"))}
		return h.renderPayout(c, http.StatusUnprocessableEntity, m, id)
	}
	switch {
	case errors.Is(err, models.ErrAlreadyDecided):
		return h.redirectWithFlash(c, back, views.FlashInfo, fmt.Sprintf("Payout %d was already decided; nothing changed.", id))
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, back, views.FlashSuccess, fmt.Sprintf("Rejected payout %d.", id))
}

// adminApprovePayouts approves the selected payouts (`ids`) and says what became of them.
func (h *Handler) adminApprovePayouts(c echo.Context) error {
	ids, err := formIDs(c, "ids")
	if err != nil {
		return err
	}
	back := returnTo(c, "/admin/payouts")
	if len(ids) == 0 {
		return h.redirectWithFlash(c, back, views.FlashError, "Select at least one payout to approve.")
	}
	if len(ids) > models.MaxBulkDecisions {
		return h.redirectWithFlash(c, back, views.FlashError, fmt.Sprintf("Approve at most %d payouts at once.", models.MaxBulkDecisions))
	}
	outcomes, err := h.store.ApproveMany(c.Request().Context(), models.AdminActor(*currentUser(c), c.RealIP()), ids)
	if err != nil {
		return err
	}
	kind := views.FlashSuccess
	for _, o := range outcomes {
		if o.Err != nil {
			kind = views.FlashInfo // some were left alone: say so without claiming success
		}
	}
	return h.redirectWithFlash(c, back, kind, views.ApprovalSummary(outcomes)+".")
}
