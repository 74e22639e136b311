package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// The admin's lists: referrals, the audit log and the outbox (where a failed email can
// be sent again).

// adminLocation is the zone times are shown in on pages that span programs: the
// default program zone, shown with its abbreviation so nothing is ambiguous.
func adminLocation() *time.Location {
	return models.Program{TimeZone: models.DefaultTimeZone}.Location()
}

// adminReferrals lists referrals, filtered by shown status (R9) and searched by name or
// email.
func (h *Handler) adminReferrals(c echo.Context) error {
	m := views.AdminReferralsModel{Now: h.store.Now(), Status: c.QueryParam("status"), Search: search(c)}
	switch models.ReferralStatus(m.Status) {
	case models.ReferralRegistered, models.ReferralEarning, models.ReferralQualified, models.ReferralExpired:
	default:
		m.Status = ""
	}
	var err error
	m.Page, err = h.store.AdminReferrals(c.Request().Context(), models.ReferralFilter{
		Status: models.ReferralStatus(m.Status), Search: m.Search, Paging: paging(c),
	})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminReferrals(h.page(c, "Referrals", "/admin/referrals"), m))
}

// adminAudit lists audit events (R14), filtered by action and actor.
func (h *Handler) adminAudit(c echo.Context) error {
	ctx := c.Request().Context()
	m := views.AdminAuditModel{Action: c.QueryParam("action"), Actor: c.QueryParam("actor"), Location: adminLocation()}
	var err error
	if m.Actions, err = h.store.AuditActions(ctx); err != nil {
		return err
	}
	if m.Page, err = h.store.AuditLog(ctx, models.AuditFilter{Action: m.Action, Actor: m.Actor, Paging: paging(c)}); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminAudit(h.page(c, "Audit log", "/admin/audit"), m))
}

// adminOutbox lists the emails queued, sent and failed.
func (h *Handler) adminOutbox(c echo.Context) error {
	ctx := c.Request().Context()
	m := views.AdminOutboxModel{Status: c.QueryParam("status"), Kind: c.QueryParam("kind"), Search: search(c), Location: adminLocation()}
	var err error
	if m.Counts, err = h.store.OutboxCounts(ctx); err != nil {
		return err
	}
	m.Page, err = h.store.Outbox(ctx, models.OutboxFilter{
		Status: models.EmailStatus(m.Status), Kind: models.EmailKind(m.Kind), Search: m.Search, Paging: paging(c),
	})
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminOutbox(h.page(c, "Outbox", "/admin/outbox"), m))
}

// adminEmail shows one email of the outbox with its text.
func (h *Handler) adminEmail(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	e, err := h.store.OutboxEmail(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminEmail(h.page(c, e.Subject, "/admin/outbox"), e, adminLocation()))
}

// adminRetryEmail queues a failed email again, for an admin who checked it never arrived.
func (h *Handler) adminRetryEmail(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	err = h.store.RetryEmail(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), id)
	target := fmt.Sprintf("/admin/outbox/%d", id)
	switch {
	case errors.Is(err, models.ErrEmailNotFailed):
		return h.redirectWithFlash(c, target, views.FlashInfo, "This email is not failed any more: it was queued again already.")
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, target, views.FlashSuccess, "Queued again. It goes out with the next delivery.")
}
