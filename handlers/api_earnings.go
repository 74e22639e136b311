package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/models"
)

// earningsRequest is the body of POST /api/v1/earnings.
type earningsRequest struct {
	Events *[]earningJSON `json:"events"`
}

// earningJSON is one event. freelancer_id, when given, is our user id for the freelancer
// (as POST /api/v1/freelancers answers it) and may stand for freelancer_email.
type earningJSON struct {
	ID              string `json:"id"`
	FreelancerEmail string `json:"freelancer_email"`
	FreelancerID    int64  `json:"freelancer_id"`
	AmountCents     int64  `json:"amount_cents"`
	Currency        string `json:"currency"`
	Category        string `json:"category"`
	ClientID        string `json:"client_id"`
	OccurredAt      string `json:"occurred_at"`
}

type eventResultJSON struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// apiEarnings records a batch of earnings (R6-R8): 200 with one result per event, in
// order: accepted, duplicate, ignored or rejected, with the reason.
func (h *Handler) apiEarnings(c echo.Context) error {
	var req earningsRequest
	if err := decodeAPIBody(c, &req); err != nil {
		return err
	}
	if err := checkItems("events", len(deref(req.Events)), req.Events != nil); err != nil {
		return err
	}
	events := make([]models.EarningEvent, len(*req.Events))
	for i, e := range *req.Events {
		events[i] = models.EarningEvent(e)
	}
	results, err := h.store.RecordEarningsDelivery(c.Request().Context(), apiDelivery(c), events)
	if err != nil {
		return apiStoreError(err)
	}
	out := make([]eventResultJSON, len(results))
	for i, r := range results {
		out[i] = eventResultJSON{ID: r.ID, Status: string(r.Status), Reason: r.Reason}
	}
	return c.JSON(http.StatusOK, map[string]any{"results": out})
}

func deref[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}
