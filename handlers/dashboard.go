package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/views"
)

// dashboard is the freelancer's home: each active program, whether they may refer in it
// (R1) and their invite link.
func (h *Handler) dashboard(c echo.Context) error {
	u := currentUser(c)
	elig, err := h.store.Eligibilities(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	m := views.DashboardModel{Name: u.Name, Now: h.store.Now()}
	for _, e := range elig {
		pe := views.ProgramEligibility{Program: e.Program, Missing: e.Missing}
		if e.CanRefer() {
			pe.InviteLink = h.inviteLink(e.Invitation.Code)
		}
		m.Programs = append(m.Programs, pe)
	}
	return render(c, http.StatusOK, views.Dashboard(h.page(c, "Dashboard", "/dashboard"), m))
}

// inviteLink is the personal link of an invitation code (R3).
func (h *Handler) inviteLink(code string) string {
	return h.baseURL + "/r/" + code
}
