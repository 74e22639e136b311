package handlers

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"
)

// Deadlines bound how long a request may take, waiting for admission included. The
// deadline is the request's context's, so every query it runs is cancelled with it (and
// PostgreSQL's statement_timeout stops any query that would outlive the longest one).
// A request past its deadline answers 503 and gives up its admission slot.
type Deadlines struct {
	// Page is a web page or form's (default 10 s).
	Page time.Duration
	// API is a machine API call's (default 30 s).
	API time.Duration
	// Import is an earnings file upload's (default 2 minutes).
	Import time.Duration
}

// The default deadlines.
const (
	PageDeadline   = 10 * time.Second
	APIDeadline    = 30 * time.Second
	ImportDeadline = 2 * time.Minute
)

func (d Deadlines) withDefaults() Deadlines {
	if d.Page <= 0 {
		d.Page = PageDeadline
	}
	if d.API <= 0 {
		d.API = APIDeadline
	}
	if d.Import <= 0 {
		d.Import = ImportDeadline
	}
	return d
}

// deadline gives the request a context that ends after d. It must come before admit, so
// that waiting for a slot counts, and a request whose time ran out while waiting leaves
// the queue.
func deadline(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx, cancel := context.WithTimeout(c.Request().Context(), d)
			defer cancel()
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}
