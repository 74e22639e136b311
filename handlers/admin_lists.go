package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
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

// referralQuery reads the referrals list's filters (status, program, q, page); an
// unknown status or program answers 400.
func (h *Handler) referralQuery(c echo.Context) (views.AdminReferralsModel, models.ReferralFilter, error) {
	query := c.QueryParams()
	m := views.AdminReferralsModel{Now: h.store.Now(), Status: strings.TrimSpace(query.Get("status")),
		Program: strings.TrimSpace(query.Get("program")), Search: strings.TrimSpace(query.Get("q"))}
	f := models.ReferralFilter{Status: models.ReferralStatus(m.Status), Search: m.Search}
	if m.Status != "" && !models.ValidReferralFilter(f.Status) {
		return m, f, badRequest("There is no referral status %q: use registered, earning, qualified or expired.", m.Status)
	}
	var err error
	if f.ProgramID, err = h.programFilter(c.Request().Context(), m.Program); err != nil {
		return m, f, err
	}
	f.Paging, err = pagingOf(query)
	return m, f, err
}

// programFilter is the id of the program a list is filtered by (its slug; "" is none).
func (h *Handler) programFilter(ctx context.Context, slug string) (int64, error) {
	if slug == "" {
		return 0, nil
	}
	p, err := h.store.ProgramBySlug(ctx, slug)
	if errors.Is(err, models.ErrNotFound) {
		return 0, badRequest("There is no program %q.", slug)
	}
	return p.ID, err
}

// adminReferrals lists referrals, filtered by shown status (R9) and program, and
// searched by name or email.
func (h *Handler) adminReferrals(c echo.Context) error {
	ctx := c.Request().Context()
	m, f, err := h.referralQuery(c)
	if err != nil {
		return err
	}
	if m.Page, err = h.store.AdminReferrals(ctx, f); err != nil {
		return err
	}
	if err := pastTheEnd(m.Page); err != nil {
		return err
	}
	if m.Counts, err = h.store.ReferralCounts(ctx, f.ProgramID); err != nil {
		return err
	}
	if m.Programs, err = h.store.ProgramChoices(ctx); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminReferrals(h.page(c, "Referrals", "/admin/referrals"), m))
}

// adminReferralsCSV exports the referrals the list's filters choose, streamed.
func (h *Handler) adminReferralsCSV(c echo.Context) error {
	m, f, err := h.referralQuery(c)
	if err != nil {
		return err
	}
	return streamCSV(c, "referrals.csv", views.ReferralsCSVHeader(), func(write func([]string) error) error {
		return h.store.EachReferral(c.Request().Context(), f, func(r models.ReferralRow) error { return write(views.ReferralsCSVRow(r, m.Now)) })
	})
}

// auditQuery reads the audit log's filters (action, actor, page); an action the log
// does not hold answers 400.
func (h *Handler) auditQuery(c echo.Context) (views.AdminAuditModel, models.AuditFilter, error) {
	query := c.QueryParams()
	m := views.AdminAuditModel{Action: strings.TrimSpace(query.Get("action")), Actor: strings.TrimSpace(query.Get("actor")), Location: adminLocation()}
	f := models.AuditFilter{Action: m.Action, Actor: m.Actor}
	var err error
	if m.Actions, err = h.store.AuditActions(c.Request().Context()); err != nil {
		return m, f, err
	}
	if m.Action != "" && !slices.Contains(m.Actions, m.Action) {
		return m, f, badRequest("The audit log holds no action %q.", m.Action)
	}
	f.Paging, err = pagingOf(query)
	return m, f, err
}

// adminAudit lists audit events (R14), filtered by action and actor.
func (h *Handler) adminAudit(c echo.Context) error {
	m, f, err := h.auditQuery(c)
	if err != nil {
		return err
	}
	if m.Page, err = h.store.AuditLog(c.Request().Context(), f); err != nil {
		return err
	}
	if err := pastTheEnd(m.Page); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AdminAudit(h.page(c, "Audit log", "/admin/audit"), m))
}

// adminAuditCSV exports the events the log's filters choose, streamed.
func (h *Handler) adminAuditCSV(c echo.Context) error {
	_, f, err := h.auditQuery(c)
	if err != nil {
		return err
	}
	return streamCSV(c, "audit.csv", views.AuditCSVHeader(), func(write func([]string) error) error {
		return h.store.EachAuditEvent(c.Request().Context(), f, func(e models.AuditEvent) error { return write(views.AuditCSVRow(e)) })
	})
}

// adminOutbox lists the emails queued, sent and failed, and says so when delivery is
// off.
func (h *Handler) adminOutbox(c echo.Context) error {
	ctx := c.Request().Context()
	m := views.AdminOutboxModel{Status: c.QueryParam("status"), Kind: c.QueryParam("kind"), Search: search(c), Location: adminLocation(), DeliveryOff: !h.emailDelivery}
	if m.Status != "" && !slices.Contains(models.EmailStatuses(), models.EmailStatus(m.Status)) {
		return badRequest("There is no email status %q.", m.Status)
	}
	if m.Kind != "" && !slices.Contains(models.EmailKinds(), models.EmailKind(m.Kind)) {
		return badRequest("There is no email kind %q.", m.Kind)
	}
	var err error
	if m.Counts, err = h.store.OutboxCounts(ctx); err != nil {
		return err
	}
	f := models.OutboxFilter{Status: models.EmailStatus(m.Status), Kind: models.EmailKind(m.Kind), Search: m.Search}
	if f.Paging, err = pagingOf(c.QueryParams()); err != nil {
		return err
	}
	if m.Page, err = h.store.Outbox(ctx, f); err != nil {
		return err
	}
	if err := pastTheEnd(m.Page); err != nil {
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
