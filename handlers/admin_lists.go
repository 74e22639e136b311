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

// adminEmail shows one email of the outbox with both its parts (the HTML one framed,
// from adminEmailHTML). An email not written out yet is shown as this process would
// write it now.
func (h *Handler) adminEmail(c echo.Context) error {
	e, content, err := h.outboxEmail(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminEmail(h.page(c, content.Subject, "/admin/outbox"), views.OutboxEmail{Email: e, Content: content}, adminLocation()))
}

// adminEmailHTML is the HTML part of an outbox email, for the frame of its page (an
// iframe sandboxed without scripts, forms or navigation): a document of its own whose
// policy lets it run nothing and load nothing, only its inline styles apply, and only
// our own pages may frame it.
func (h *Handler) adminEmailHTML(c echo.Context) error {
	_, content, err := h.outboxEmail(c)
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'")
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	return c.HTMLBlob(http.StatusOK, []byte(views.HideSignInLinkTokens(content.HTML)))
}

// outboxEmail loads the email of the path with what it says: what was sent, or else
// what this process would send now.
func (h *Handler) outboxEmail(c echo.Context) (models.Email, models.EmailContent, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return models.Email{}, models.EmailContent{}, err
	}
	ctx := c.Request().Context()
	e, err := h.store.OutboxEmail(ctx, id)
	if err != nil {
		return models.Email{}, models.EmailContent{}, err
	}
	if e.Written() {
		return e, models.EmailContent{Subject: e.Subject, Text: e.BodyText, HTML: e.BodyHTML}, nil
	}
	content, err := h.store.WriteEmail(ctx, e, h.emails)
	return e, content, err
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
