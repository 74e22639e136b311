package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// Outgoing webhooks: owners register the marketplace's endpoints and watch each one's
// deliveries. An endpoint's signing secret is shown once, on the page the creation
// redirects to: it travels there in the (encrypted, HttpOnly) session cookie and is
// removed from it as it is shown, so a reload or a later visit no longer shows it.

// keyWebhookSecret holds "ID:SECRET" of the endpoint just created, until its page shows it.
const keyWebhookSecret = "webhook_secret"

// adminWebhooks lists the endpoints with the form to add one.
func (h *Handler) adminWebhooks(c echo.Context) error {
	return h.renderWebhooks(c, http.StatusOK, views.WebhookForm{})
}

func (h *Handler) renderWebhooks(c echo.Context, status int, form views.WebhookForm) error {
	eps, err := h.store.WebhookEndpoints(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()))
	if err != nil {
		return err
	}
	m := views.AdminWebhooksModel{Endpoints: eps, Form: form, Location: adminLocation()}
	return render(c, status, views.AdminWebhooks(h.page(c, "Webhooks", "/admin/webhooks"), m))
}

// adminCreateWebhook adds an endpoint and shows its secret once, or the form again with
// what to fix.
func (h *Handler) adminCreateWebhook(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	in := models.WebhookInput{URL: form.Get("url"), Events: form["events"]}
	if in.Events == nil {
		in.Events = []string{} // none ticked, unlike a new form
	}
	ep, err := h.store.CreateWebhookEndpoint(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), in)
	if fe, ok := models.AsFieldErrors(err); ok {
		return h.renderWebhooks(c, http.StatusUnprocessableEntity, views.WebhookForm{Input: in, Errors: fe})
	}
	if err != nil {
		return err
	}
	sess := h.session(c)
	sess.Values[keyWebhookSecret] = fmt.Sprintf("%d:%s", ep.ID, ep.Secret)
	setFlash(sess, views.FlashSuccess, "Added the endpoint. Copy its signing secret now: it is shown only this once.")
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/webhooks/%d", ep.ID))
}

// adminWebhook shows an endpoint and its delivery log, and its secret right after it
// was created.
func (h *Handler) adminWebhook(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	detail, err := h.store.WebhookEndpoint(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), id, paging(c))
	if err != nil {
		return err
	}
	secret, err := h.takeWebhookSecret(c, id)
	if err != nil {
		return err
	}
	m := views.AdminWebhookModel{Detail: detail, Secret: secret, Location: adminLocation()}
	return render(c, http.StatusOK, views.AdminWebhook(h.page(c, "Webhook endpoint", "/admin/webhooks"), m))
}

// takeWebhookSecret removes the secret of endpoint id from the session and returns it,
// or "" when the session holds none for it.
func (h *Handler) takeWebhookSecret(c echo.Context, id int64) (string, error) {
	sess := h.session(c)
	held, _ := sess.Values[keyWebhookSecret].(string)
	owner, secret, ok := strings.Cut(held, ":")
	if !ok || owner != fmt.Sprint(id) {
		return "", nil
	}
	delete(sess.Values, keyWebhookSecret)
	return secret, sess.Save(c.Request(), c.Response())
}

// adminDisableWebhook stops an endpoint receiving events.
func (h *Handler) adminDisableWebhook(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.store.DisableWebhookEndpoint(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), id); err != nil {
		return err
	}
	return h.redirectWithFlash(c, fmt.Sprintf("/admin/webhooks/%d", id), views.FlashSuccess, "Disabled: the endpoint gets no events until you enable it.")
}

// adminEnableWebhook makes a disabled endpoint receive events again.
func (h *Handler) adminEnableWebhook(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.store.EnableWebhookEndpoint(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), id); err != nil {
		return err
	}
	return h.redirectWithFlash(c, fmt.Sprintf("/admin/webhooks/%d", id), views.FlashSuccess,
		"Enabled: new events go to the endpoint. Retry the failed deliveries you want sent.")
}

// adminRetryWebhookDelivery sends one delivery again now.
func (h *Handler) adminRetryWebhookDelivery(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	delivery, err := pathID(c, "delivery")
	if err != nil {
		return err
	}
	target := fmt.Sprintf("/admin/webhooks/%d", id)
	err = h.store.RetryWebhookDelivery(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), id, delivery)
	switch {
	case errors.Is(err, models.ErrWebhookEndpointDisabled):
		return h.redirectWithFlash(c, target, views.FlashError, "The endpoint is disabled: enable it first.")
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, target, views.FlashSuccess, fmt.Sprintf("Delivery %d goes out again now, with its webhook-id.", delivery))
}
