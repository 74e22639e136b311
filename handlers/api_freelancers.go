package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/models"
)

// freelancersRequest is the body of POST /api/v1/freelancers.
type freelancersRequest struct {
	Freelancers *[]profileJSON `json:"freelancers"`
}

// profileJSON is one profile; a field left out (or null) keeps its stored value, and
// client_account_id "" clears it.
type profileJSON struct {
	Email           string  `json:"email"`
	Name            *string `json:"name"`
	Country         *string `json:"country"`
	TopRated        *bool   `json:"top_rated"`
	EmailOptOut     *bool   `json:"email_opt_out"`
	ClientAccountID *string `json:"client_account_id"`
}

type profileResultJSON struct {
	Email string `json:"email"`
	// ID is the freelancer's user id: the freelancer_id earnings may carry.
	ID     int64  `json:"id,omitempty"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// apiFreelancers creates or updates freelancers' profiles by email: 200 with one result
// per profile, in order: created, updated or rejected, with the reason.
func (h *Handler) apiFreelancers(c echo.Context) error {
	var req freelancersRequest
	if err := decodeAPIBody(c, &req); err != nil {
		return err
	}
	if err := checkItems("freelancers", len(deref(req.Freelancers)), req.Freelancers != nil); err != nil {
		return err
	}
	profiles := make([]models.FreelancerProfile, len(*req.Freelancers))
	for i, p := range *req.Freelancers {
		profiles[i] = models.FreelancerProfile(p)
	}
	results, err := h.store.UpsertFreelancersDelivery(c.Request().Context(), apiDelivery(c), profiles)
	if err != nil {
		return apiStoreError(err)
	}
	out := make([]profileResultJSON, len(results))
	for i, r := range results {
		out[i] = profileResultJSON{Email: r.Email, ID: r.UserID, Status: string(r.Status), Reason: r.Reason}
	}
	return c.JSON(http.StatusOK, map[string]any{"results": out})
}
