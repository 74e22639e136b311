package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// transactions is the freelancer's ledger, newest first, with the running balance (R11)
// and where their referral credits are, approved ones on their way by their due date.
func (h *Handler) transactions(c echo.Context) error {
	u := currentUser(c)
	page, err := pageParam(c)
	if err != nil {
		return err
	}
	entries, sum, err := h.store.Ledger(c.Request().Context(), u.ID, models.Paging{Page: page})
	if err != nil {
		return err
	}
	m := views.TransactionsModel{
		Entries: entries.Items,
		Summary: sum,
		Pager:   views.Pager{Path: "/transactions", Page: entries.Paging.Page, PerPage: entries.Paging.PerPage, Total: entries.Total},
	}
	return render(c, http.StatusOK, views.Transactions(h.page(c, "Transactions", "/transactions"), m))
}
