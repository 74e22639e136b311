package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// dashboard is the freelancer's home: their own progress if they were referred, and for
// each program whether they may refer (R1), their invite link, numbers and friends.
// ?program=SLUG&page=N pages that program's friends.
func (h *Handler) dashboard(c echo.Context) error {
	u := currentUser(c)
	page, _ := strconv.Atoi(c.QueryParam("page"))
	d, err := h.store.Dashboard(c.Request().Context(), u.ID, models.DashboardQuery{
		Program: c.QueryParam("program"),
		Paging:  models.Paging{Page: page},
	})
	if err != nil {
		return err
	}
	m := views.DashboardModel{Name: u.Name, Now: h.store.Now(), Friend: d.Friend}
	firstLink := true
	for _, pd := range d.Programs {
		panel := views.ProgramPanel{
			ProgramDashboard: pd,
			ReferrerName:     u.Name,
			Pager: views.Pager{
				Path:  "/dashboard",
				Query: url.Values{"program": {pd.Program.Slug}},
				Page:  pd.Friends.Paging.Page, PerPage: pd.Friends.Paging.PerPage, Total: pd.Friends.Total,
			},
		}
		if pd.ShowsLink() {
			panel.InviteLink = h.inviteLink(pd.Invitation.Code)
			panel.LinkID = "invite-link"
			if !firstLink {
				panel.LinkID += "-" + pd.Program.Slug
			}
			firstLink = false
		}
		m.Programs = append(m.Programs, panel)
	}
	return render(c, http.StatusOK, views.Dashboard(h.page(c, "Dashboard", "/dashboard"), m))
}

// inviteLink is the personal link of an invitation code (R3).
func (h *Handler) inviteLink(code string) string {
	return h.baseURL + "/r/" + code
}
