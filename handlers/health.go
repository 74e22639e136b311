package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// healthz answers while the process is up.
func (h *Handler) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyz answers 200 when the database is reachable, 503 otherwise, so a load balancer
// sends traffic only to instances that can serve it. It answers 503 too once the process
// is draining before it stops (SIGTERM), while it still serves what it is sent.
func (h *Handler) readyz(c echo.Context) error {
	if h.draining() {
		return c.String(http.StatusServiceUnavailable, "stopping\n")
	}
	if err := h.store.Ping(c.Request().Context()); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
