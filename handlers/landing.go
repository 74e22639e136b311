package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// The attribution cookie (R4) remembers the invite code of the last valid invite link
// opened in this browser, so a friend who signs up later, without the link, is still
// attributed. The last link opened wins.
const (
	attributionCookieName = "referral_code"
	attributionMaxAge     = 30 * 24 * time.Hour
)

// landing is an invite link, /r/CODE (R4): it counts the click, remembers the code in
// the attribution cookie and shows the offer beside the sign-up form. An unknown code
// shows the not-valid page (404) with a plain sign-up form.
//
// Someone signed in cannot be referred (they have an account), so for them nothing is
// counted or remembered: the page says why, or that the link is their own (a referrer
// trying their own link is never a click). Link previews and prefetches see the page but
// are not counted either (notAPersonFollowing).
func (h *Handler) landing(c echo.Context) error {
	ctx := c.Request().Context()
	code := c.Param("code")
	if u := currentUser(c); u != nil {
		offer, err := h.store.InviteOffer(ctx, code)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return render(c, http.StatusNotFound, views.LandingSignedIn(h.page(c, "This invite link is not valid", ""), nil, false))
		case err != nil:
			return err
		}
		own := offer.Invitation.ReferrerID == u.ID
		return render(c, http.StatusOK, views.LandingSignedIn(h.page(c, "Invite link", ""), &offer, own))
	}

	count := h.store.CountClick
	if notAPersonFollowing(c.Request()) {
		count = h.store.InviteOffer
	}
	offer, err := count(ctx, code)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return h.renderSignup(c, http.StatusNotFound, views.LandingModel{InvalidCode: true})
	case err != nil:
		return err
	}
	if offer.Available() {
		h.setAttribution(c, offer.Invitation.Code)
	}
	return h.renderSignup(c, http.StatusOK, views.LandingModel{Offer: &offer, Form: views.SignupForm{Code: offer.Invitation.Code}})
}

// previewAgents are user agents (lower case) of crawlers and of the link expanders of chat
// and social apps, which fetch a link to show its preview when it is pasted: not a click.
var previewAgents = []string{
	"slackbot", "slack-imgproxy", "facebookexternalhit", "facebookcatalog", "meta-externalagent", "twitterbot",
	"linkedinbot", "whatsapp", "discordbot", "telegrambot", "googlebot", "google-inspectiontool", "bingbot",
	"bingpreview", "applebot", "duckduckbot", "yandexbot", "baiduspider", "skypeuripreview", "microsoft preview",
	"redditbot", "pinterestbot", "embedly", "iframely", "mastodon", "cardyb", "ahrefsbot", "semrushbot",
	"petalbot", "mj12bot", "dotbot",
}

// notAPersonFollowing reports whether a request for an invite link comes from something
// other than a person opening it: a HEAD request, a prefetch (Purpose or Sec-Purpose:
// prefetch, as browsers send for speculative loads), or a crawler or link expander by its
// user agent. Such visits are shown the page but not counted as clicks (R4).
func notAPersonFollowing(r *http.Request) bool {
	if r.Method == http.MethodHead {
		return true
	}
	for _, h := range []string{"Purpose", "Sec-Purpose", "X-Purpose", "X-Moz"} {
		if v := strings.ToLower(r.Header.Get(h)); strings.Contains(v, "prefetch") || strings.Contains(v, "preview") {
			return true
		}
	}
	ua := strings.ToLower(r.UserAgent())
	for _, bot := range previewAgents {
		if strings.Contains(ua, bot) {
			return true
		}
	}
	return false
}

// renderSignup shows the landing page with the sign-up form, its country list and its
// default country.
func (h *Handler) renderSignup(c echo.Context, status int, m views.LandingModel) error {
	m.Countries = h.countries
	m.Now = h.store.Now()
	if m.Form.Country == "" {
		m.Form.Country = models.DefaultCountry
	}
	return render(c, status, views.Landing(h.page(c, views.LandingTitle(m), ""), m))
}

func (h *Handler) setAttribution(c echo.Context, code string) {
	c.SetCookie(&http.Cookie{
		Name: cookieName(attributionCookieName, h.secure), Value: code, Path: "/",
		MaxAge: int(attributionMaxAge.Seconds()), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode,
	})
}

// attribution is the invite code remembered in this browser, or "".
func (h *Handler) attribution(c echo.Context) string {
	if ck, err := c.Cookie(cookieName(attributionCookieName, h.secure)); err == nil {
		return ck.Value
	}
	return ""
}

// clearAttribution forgets the code once it has been used to sign up.
func (h *Handler) clearAttribution(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: cookieName(attributionCookieName, h.secure), Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}
