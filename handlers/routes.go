package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"referrals/models"
)

// routes lists every route, grouped by who may use them. The middleware of each group
// is given where the group is made, so this file alone tells who can reach what.
func (h *Handler) routes(e *echo.Echo) {
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	// Every request is counted by route pattern (h.metrics, on METRICS_ADDR) and logged
	// once; the metrics come first so that they see the status the logger rendered.
	e.Use(middleware.RequestID(), h.metrics.Middleware(), h.requestLog(), middleware.Recover())

	// Probes and assets: anyone, no session, never queued behind pages (admit).
	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)
	e.GET("/static/*", echo.WrapHandler(h.assets.Handler()))

	// The machine API's description (OpenAPI 3.1): public, like the rest of the docs.
	e.GET("/api/v1/openapi.json", h.openAPI)

	// Pages and API calls have a deadline (deadline.go: pages 10 s, API 30 s, an earnings
	// import 2 minutes), which starts before they wait for admission; past it they
	// answer 503.

	// Machine API for the marketplace: HMAC-signed requests, no session, no CSRF.
	api := e.Group("/api/v1", deadline(h.deadlines.API), h.requireSignature, h.admit)
	api.POST("/earnings", h.apiEarnings)
	api.POST("/freelancers", h.apiFreelancers)

	// One-click unsubscribe (RFC 8058): mail providers post it from their servers, with no
	// session and no CSRF field; the signed token in the link is the authority.
	unsubscribe := e.Group("/unsubscribe", h.securityHeaders, h.readInput(formLimit), h.admit)
	unsubscribe.GET("/:token", h.unsubscribePage)
	unsubscribe.POST("/:token", h.unsubscribe)

	// Web pages: security headers, small forms of text only (readInput), CSRF on every
	// form, the session's user when signed in.
	web := e.Group("", deadline(h.deadlines.Page), h.securityHeaders, h.readInput(formLimit), h.csrf, h.admit, h.loadSession)

	// Anyone.
	web.GET("/", h.home)
	web.GET("/login", h.loginPage)
	web.POST("/login", h.login)
	web.POST("/login/mfa", h.loginMFA) // the second step, for the pending sign-in in the session
	web.POST("/login/link", h.requestSignInLink)
	web.GET("/login/link/:token", h.signInLinkPage)
	web.POST("/login/link/:token", h.signInWithLink)
	web.POST("/logout", h.logout)
	web.GET("/help", h.help)
	web.GET("/r/:code", h.landing)
	web.HEAD("/r/:code", h.landing) // link checkers: the page, never a click
	web.GET("/signup", h.signupPage)
	web.POST("/signup", h.signup)

	// Everyone signed in: their own account. Staff set up two-factor sign-in first: until
	// then /settings/mfa is the only page they reach (requireEnrolled sends them there).
	account := web.Group("/settings", h.requireUser)
	account.GET("", h.settings, h.requireEnrolled)
	account.POST("/password", h.changePassword, h.requireEnrolled)
	account.POST("/email", h.setEmailPreference, h.requireEnrolled)
	account.GET("/mfa", h.mfaPage, h.requireStaffRole)
	account.POST("/mfa", h.enrolMFA, h.requireStaffRole)

	// Freelancers (staff are sent to /admin).
	freelancer := web.Group("", h.requireFreelancer)
	freelancer.GET("/dashboard/invite-qr.svg", h.inviteQR)
	freelancer.GET("/transactions", h.transactions)

	// Program staff: anonymous visitors go to /login, freelancers get 403. Every staff
	// role reads every admin page and CSV; each action that changes money or settings
	// names the permission it needs (docs/rules.md, "Staff roles"), and a role without it
	// gets 403. The Store method behind each action checks the same permission again.
	// Permissions are given per route rather than by sub-group, so that each line says
	// who may use it and no sub-group's catch-all decides a path it does not serve.
	decide := h.requirePermission(models.DecidePayouts)     // reviewer, owner
	pay := h.requirePermission(models.PayBatches)           // finance, owner
	importing := h.requirePermission(models.ImportEarnings) // finance, owner
	programs := h.requirePermission(models.ManagePrograms)  // owner
	retry := h.requirePermission(models.RetryEmails)        // owner
	manageStaff := h.requirePermission(models.ManageStaff)  // owner
	webhooks := h.requirePermission(models.ManageWebhooks)  // owner, reading too: addresses and delivery logs
	staff := web.Group("/admin", h.requireStaff)
	staff.GET("", h.adminOverview)
	staff.GET("/payouts", h.adminPayouts)
	staff.GET("/payouts.csv", h.adminPayoutsCSV)
	staff.POST("/payouts/approve", h.adminApprovePayouts, decide)
	staff.POST("/payouts/reject", h.adminRejectPayouts, decide)
	staff.GET("/payouts/:id", h.adminPayout)
	staff.POST("/payouts/:id/approve", h.adminApprovePayout, decide)
	staff.POST("/payouts/:id/reject", h.adminRejectPayout, decide)
	staff.GET("/batches", h.adminBatches)
	staff.GET("/batches/:month", h.adminBatch)
	staff.POST("/batches/:month/pay", h.adminPayBatch, pay)
	staff.GET("/batches/:month/export.csv", h.adminExportBatch)
	staff.GET("/programs", h.adminPrograms)
	staff.POST("/programs", h.adminCreateProgram, programs)
	staff.GET("/programs/new", h.adminNewProgram)
	staff.GET("/programs/:slug", h.adminProgram)
	staff.POST("/programs/:slug", h.adminUpdateProgram, programs)
	staff.POST("/programs/:slug/invite", h.adminInviteProgram, programs)
	staff.POST("/programs/:slug/remind", h.adminRemindProgram, programs)
	staff.GET("/referrals", h.adminReferrals)
	staff.GET("/referrals.csv", h.adminReferralsCSV)
	staff.GET("/referrals/:id", h.adminReferral)
	staff.GET("/referrers/:id", h.adminReferrer)
	staff.GET("/audit", h.adminAudit)
	staff.GET("/audit.csv", h.adminAuditCSV)
	staff.GET("/outbox", h.adminOutbox)
	staff.GET("/outbox/:id", h.adminEmail)
	staff.GET("/outbox/:id/html", h.adminEmailHTML)
	staff.POST("/outbox/:id/retry", h.adminRetryEmail, retry)
	staff.GET("/earnings/import", h.earningsImportPage)
	staff.GET("/staff", h.adminStaff, manageStaff)
	staff.POST("/staff", h.adminAddStaff, manageStaff)
	staff.POST("/staff/:id/role", h.adminStaffRole, manageStaff)
	staff.POST("/staff/:id/disable", h.adminDisableStaff, manageStaff)
	staff.POST("/staff/:id/enable", h.adminEnableStaff, manageStaff)
	staff.GET("/webhooks", h.adminWebhooks, webhooks)
	staff.POST("/webhooks", h.adminCreateWebhook, webhooks)
	staff.GET("/webhooks/:id", h.adminWebhook, webhooks)
	staff.POST("/webhooks/:id/disable", h.adminDisableWebhook, webhooks)
	staff.POST("/webhooks/:id/enable", h.adminEnableWebhook, webhooks)
	staff.POST("/webhooks/:id/deliveries/:delivery/retry", h.adminRetryWebhookDelivery, webhooks)

	// The dashboard, the page referrers load most: the web pages' middleware, but the
	// session's user is read together with the page's data, in one statement
	// (readDashboardSession); then freelancers only, as above.
	e.GET("/dashboard", h.dashboard,
		deadline(h.deadlines.Page), h.securityHeaders, h.readInput(formLimit), h.csrf, h.admit, h.loadSessionWith(h.readDashboardSession), h.requireFreelancer)

	// The earnings CSV upload, the one large body: read only once the staff and permission
	// checks have passed (the file goes to a temporary file, never whole into memory).
	e.POST("/admin/earnings/import", h.earningsImport,
		deadline(h.deadlines.Import), h.securityHeaders, h.loadSession, h.requireStaff, importing, h.readInput(uploadLimit), h.csrf, h.admit)

	// Unknown paths: 404 to everyone, /admin/... included; JSON under /api/ (handleError).
	// Echo registers a catch-all route under the prefix of every group made with
	// middleware, which would send an unknown path through that group's access check (an
	// anonymous visitor to /login, staff to /admin); each one is replaced by this answer.
	notFound := []echo.MiddlewareFunc{deadline(h.deadlines.Page), h.securityHeaders, h.readInput(formLimit), safeMethodsOnly(h.csrf), h.admit, h.loadSession}
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound {
			e.RouteNotFound(r.Path, h.notFound, notFound...)
		}
	}
	e.RouteNotFound("/*", h.notFound, notFound...)
}

// notFound answers a path no route matches.
func (h *Handler) notFound(echo.Context) error { return echo.ErrNotFound }
