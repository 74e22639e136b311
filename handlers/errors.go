package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// handleError is the one error path: it turns any error a handler returns into the error
// page (or, under /api/, a JSON error). Details of unexpected errors stay in the log,
// written once by the request logger.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, message := http.StatusInternalServerError, "Something went wrong on our side. Please try again in a moment."
	var he *echo.HTTPError
	var denied *models.ForbiddenError
	switch {
	case errors.As(err, &denied): // the Store refused what the routes let through
		h.handleError(forbidden(denied.Permission), c)
		return
	case errors.Is(err, models.ErrNotFound):
		status, message = http.StatusNotFound, "We couldn't find that page."
	case models.IsUnavailable(err):
		status, message = http.StatusServiceUnavailable, "The service is briefly unavailable. Please try again in a minute."
		c.Response().Header().Set("Retry-After", "30")
	case errors.As(err, &he):
		status = he.Code
		if msg, ok := he.Message.(string); ok && status < 500 {
			message = msg
		}
		if status == http.StatusNotFound {
			message = "We couldn't find that page."
		}
	}

	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		if status == http.StatusNotFound {
			message = "not found"
		}
		_ = c.JSON(status, map[string]string{"error": message})
		return
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = render(c, status, views.ErrorPage(h.page(c, errorTitle(status), ""), status, errorTitle(status), message))
}

// errorTitle names an HTTP status for people.
func errorTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusTooManyRequests:
		return "Too many requests"
	case http.StatusRequestEntityTooLarge:
		return "Too large"
	case http.StatusServiceUnavailable:
		return "Temporarily unavailable"
	}
	if status >= 500 {
		return "Something went wrong"
	}
	return "That didn't work"
}
