package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// dashboard is the freelancer's home: their own progress if they were referred, and for
// each program whether they may refer (R1), their share kit, numbers, activity, credits
// and friends. ?program=SLUG&page=N pages that program's friends; a program not on the
// dashboard answers 404 and a page that is not a number 400.
func (h *Handler) dashboard(c echo.Context) error {
	u := currentUser(c)
	q, err := dashboardQuery(c)
	if err != nil {
		return err
	}
	d, ok := c.Get(ctxDashboard).(*models.Dashboard)
	if !ok { // not read with the session (see readDashboardSession)
		dd, err := h.store.Dashboard(c.Request().Context(), u.ID, q)
		if err != nil {
			return err
		}
		d = &dd
	}
	m := views.DashboardModel{Name: u.Name, Country: u.Country, Now: h.store.Now(), Friend: d.Friend, Marketplace: h.marketplace}
	found := q.Program == ""
	first := true
	for _, pd := range d.Programs {
		found = found || pd.Program.Slug == q.Program
		panel := views.ProgramPanel{
			ProgramDashboard: pd,
			Pager: views.Pager{
				Path:  "/dashboard",
				Query: url.Values{"program": {pd.Program.Slug}},
				Page:  pd.Friends.Paging.Page, PerPage: pd.Friends.Paging.PerPage, Total: pd.Friends.Total,
			},
		}
		if pd.Invitation != nil {
			if !first {
				panel.IDSuffix = "-" + pd.Program.Slug
			}
			first = false
		}
		if pd.ShowsLink() {
			kit, err := h.shareKit(c.Request().Context(), panel, pd.Invitation.Code, u.Name)
			if err != nil {
				return err
			}
			panel.Share = kit.html
		}
		m.Programs = append(m.Programs, panel)
	}
	if !found {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	return render(c, http.StatusOK, views.Dashboard(h.page(c, "Dashboard", "/dashboard"), m))
}

// ctxDashboard is where readDashboardSession leaves the dashboard it read.
const ctxDashboard = "dashboard"

// readDashboardSession is the dashboard's session check: the session's user and, when
// the session is current, the page's data, in one statement (models.SessionDashboard),
// the dashboard being the page signed-in referrers load most. A tampered page number
// reads the user alone; the handler answers it 400.
func (h *Handler) readDashboardSession(c echo.Context, userID, version int64) (models.User, error) {
	q, err := dashboardQuery(c)
	if err != nil {
		return h.readSessionUser(c, userID, version)
	}
	user, d, err := h.store.SessionDashboard(c.Request().Context(), userID, version, q)
	if err != nil {
		return models.User{}, err
	}
	if d != nil {
		c.Set(ctxDashboard, d)
	}
	return user, nil
}

// dashboardQuery reads ?program=SLUG&page=N.
func dashboardQuery(c echo.Context) (models.DashboardQuery, error) {
	page, err := pageParam(c)
	if err != nil {
		return models.DashboardQuery{}, err
	}
	return models.DashboardQuery{Program: c.QueryParam("program"), Paging: models.Paging{Page: page}}, nil
}

// pageParam is ?page=N: absent is the first page; anything but a positive number is a
// tampered address (400).
func pageParam(c echo.Context) (int, error) {
	raw := c.QueryParam("page")
	if raw == "" {
		return 1, nil
	}
	page, err := strconv.Atoi(raw)
	if err != nil || page < 1 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "The page number in the address is not valid.")
	}
	return page, nil
}

// inviteQR is the QR code of the freelancer's invite link in ?program=SLUG, as an SVG file
// to download. A program whose link they may not share answers 404.
func (h *Handler) inviteQR(c echo.Context) error {
	u := currentUser(c)
	slug := c.QueryParam("program")
	d, err := h.store.Dashboard(c.Request().Context(), u.ID, models.DashboardQuery{Program: slug})
	if err != nil {
		return err
	}
	for _, pd := range d.Programs {
		if pd.Program.Slug != slug || !pd.ShowsLink() {
			continue
		}
		kit, err := h.shareKit(c.Request().Context(), views.ProgramPanel{ProgramDashboard: pd}, pd.Invitation.Code, u.Name)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="invite-qr-`+slug+`.svg"`)
		return c.Blob(http.StatusOK, "image/svg+xml", kit.QR.Document())
	}
	return echo.NewHTTPError(http.StatusNotFound)
}

// inviteLink is the personal link of an invitation code (R3).
func (h *Handler) inviteLink(code string) string {
	return h.baseURL + "/r/" + code
}

// shareKitCacheSize bounds the share kits kept: a few kilobytes each (mostly the QR
// code), for the referrers active at the moment.
const shareKitCacheSize = 2048

// cachedKit is a share kit and its HTML in one program panel.
type cachedKit struct {
	views.ShareKit
	html string
}

// shareKits caches share kits: a kit depends only on the program, the link, the
// referrer's name and the panel's ids, and encoding a QR code and escaping its drawing
// cost more than the rest of a dashboard.
type shareKits = lru.Cache[shareKitKey, cachedKit]

// shareKitKey holds everything a kit is made of: an edited program or a renamed
// referrer gets a new kit. A struct, so that looking a kit up allocates nothing.
type shareKitKey struct {
	code, idSuffix, slug, referrer string
	program, programUpdated        int64
}

func newShareKits() *shareKits {
	c, _ := lru.New[shareKitKey, cachedKit](shareKitCacheSize) // fails only for a size below 1
	return c
}

// shareKit is the share kit of the invite code's link in panel's program, from the cache.
func (h *Handler) shareKit(ctx context.Context, panel views.ProgramPanel, code, referrerName string) (cachedKit, error) {
	p := panel.Program
	key := shareKitKey{code: code, idSuffix: panel.IDSuffix, slug: p.Slug, referrer: referrerName, program: p.ID, programUpdated: p.UpdatedAt.UnixNano()}
	if kit, ok := h.shareKits.Get(key); ok {
		return kit, nil
	}
	kit, err := views.NewShareKit(p, h.inviteLink(code), referrerName, h.marketplace)
	if err != nil {
		return cachedKit{}, err
	}
	html, err := views.ShareKitHTML(ctx, panel, kit, h.marketplace)
	if err != nil {
		return cachedKit{}, err
	}
	c := cachedKit{ShareKit: kit, html: html}
	h.shareKits.Add(key, c)
	return c, nil
}
