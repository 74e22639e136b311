package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// The pages of one referral and of one referrer (README, "The admin console"). Their ids answer 400 when
// they are not numbers and 404 when nothing has them.

// numericID reads the path's id: not a positive number answers 400.
func numericID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("%q is not an id: ids are whole numbers.", c.Param("id"))
	}
	return id, nil
}

// adminReferral shows one referral's timeline, from invitation to payment.
func (h *Handler) adminReferral(c echo.Context) error {
	id, err := numericID(c)
	if err != nil {
		return err
	}
	t, err := h.store.ReferralTimeline(c.Request().Context(), id)
	if err != nil {
		return err
	}
	m := views.AdminReferralModel{Now: h.store.Now(), Timeline: t}
	return render(c, http.StatusOK, views.AdminReferral(h.page(c, "Referral of "+t.FriendName, "/admin/referrals"), m))
}

// adminReferrer shows one referrer: invitations, friends, payouts and past decisions.
func (h *Handler) adminReferrer(c echo.Context) error {
	id, err := numericID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	m := views.AdminReferrerModel{Now: h.store.Now()}
	if m.Referrer, err = h.store.Referrer(ctx, id); err != nil {
		return err
	}
	if m.Friends, err = h.store.AdminReferrals(ctx, models.ReferralFilter{ReferrerID: id, Paging: models.Paging{PerPage: 100}}); err != nil {
		return err
	}
	if m.Payouts, err = h.store.ReviewQueue(ctx, models.PayoutFilter{ReferrerID: id, Sort: models.SortNewest, Paging: models.Paging{PerPage: 100}}); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminReferrer(h.page(c, m.Referrer.User.Name, "/admin/referrals"), m))
}
