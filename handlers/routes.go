package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes lists every route, grouped as SPEC §4 groups them. The middleware of each group
// is given where the group is made, so this file alone tells who can reach what.
func (h *Handler) routes(e *echo.Echo) {
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.RequestID(), h.requestLog(), middleware.Recover())

	// Probes and assets: anyone, no session, never queued behind pages (admit).
	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)
	e.GET("/static/*", echo.WrapHandler(h.assets.Handler()))

	// Machine API for the marketplace: HMAC-signed requests, no session, no CSRF.
	api := e.Group("/api/v1", h.requireSignature, h.admit)
	api.POST("/earnings", h.apiEarnings)
	api.POST("/freelancers", h.apiFreelancers)

	// One-click unsubscribe (RFC 8058): mail providers post it from their servers, with no
	// session and no CSRF field; the signed token in the link is the authority.
	unsubscribe := e.Group("/unsubscribe", h.securityHeaders, middleware.BodyLimit("1K"), h.admit)
	unsubscribe.GET("/:token", h.unsubscribePage)
	unsubscribe.POST("/:token", h.unsubscribe)

	// Web pages: security headers, CSRF on every form, the session's user when signed in.
	web := e.Group("", h.securityHeaders, middleware.BodyLimit("10M"), h.csrf(), h.admit, h.loadSession)

	// Anyone.
	web.GET("/", h.home)
	web.GET("/login", h.loginPage)
	web.POST("/login", h.login)
	web.POST("/login/link", h.requestSignInLink)
	web.GET("/login/link/:token", h.signInLinkPage)
	web.POST("/login/link/:token", h.signInWithLink)
	web.POST("/logout", h.logout)
	web.GET("/help", h.help)
	web.GET("/r/:code", h.landing)
	web.GET("/signup", h.signupPage)
	web.POST("/signup", h.signup)

	// Freelancers (an admin is sent to /admin).
	freelancer := web.Group("", h.requireFreelancer)
	freelancer.GET("/dashboard", h.dashboard)
	freelancer.GET("/transactions", h.transactions)

	// Program staff: anonymous visitors go to /login, freelancers get 403.
	admin := web.Group("/admin", h.requireAdmin)
	admin.GET("", h.adminOverview)
	admin.GET("/payouts", h.adminPayouts)
	admin.POST("/payouts/approve", h.adminApprovePayouts)
	admin.POST("/payouts/reject", h.adminRejectPayouts)
	admin.GET("/payouts/:id", h.adminPayout)
	admin.POST("/payouts/:id/approve", h.adminApprovePayout)
	admin.POST("/payouts/:id/reject", h.adminRejectPayout)
	admin.GET("/batches", h.adminBatches)
	admin.GET("/batches/:month", h.adminBatch)
	admin.POST("/batches/:month/pay", h.adminPayBatch)
	admin.GET("/batches/:month/export.csv", h.adminExportBatch)
	admin.GET("/programs", h.adminPrograms)
	admin.POST("/programs", h.adminCreateProgram)
	admin.GET("/programs/new", h.adminNewProgram)
	admin.GET("/programs/:slug", h.adminProgram)
	admin.POST("/programs/:slug", h.adminUpdateProgram)
	admin.POST("/programs/:slug/invite", h.adminInviteProgram)
	admin.POST("/programs/:slug/remind", h.adminRemindProgram)
	admin.GET("/referrals", h.adminReferrals)
	admin.GET("/audit", h.adminAudit)
	admin.GET("/outbox", h.adminOutbox)
	admin.GET("/outbox/:id", h.adminEmail)
	admin.GET("/outbox/:id/html", h.adminEmailHTML)
	admin.POST("/outbox/:id/retry", h.adminRetryEmail)
	admin.GET("/earnings/import", h.earningsImportPage)
	admin.POST("/earnings/import", h.earningsImport)
}
