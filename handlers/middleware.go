package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"referrals/models"
	"referrals/views"
)

// contentSecurityPolicy allows only our own scripts and styles: no inline script, no
// plugins, no <base> rewriting, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// securityHeaders sets the headers every page carries. Pages show private data, so no
// shared cache may keep them.
func (h *Handler) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		if h.secure {
			hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return next(c)
	}
}

// admit lets a request in when fewer than MaxInFlight are being served, and otherwise
// makes it wait its turn, first come first served, before it has read or locked
// anything in the database. The work is the same either way, but a machine with a few
// cores then serves a few requests at a time to the end instead of all of them by
// slices, each waiting for the others: under a burst, latency is a fair queue's (p99
// close to p50) rather than a random share's, and a request never waits for a database
// connection midway. It comes after the request body has been read (the CSRF check
// reads forms, the signature check reads API bodies), so a slow upload waits outside;
// the page is written from memory at once (render).
func (h *Handler) admit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		select {
		case h.inFlight <- struct{}{}:
		default:
			waited := h.metrics.Waiting()
			select {
			case h.inFlight <- struct{}{}:
				waited()
			case <-ctx.Done():
				waited()
				return ctx.Err() // past its deadline (503), or the client left
			}
		}
		served := h.metrics.Serving()
		defer func() {
			served()
			<-h.inFlight
		}()
		return next(c)
	}
}

// csrf refuses state-changing requests that do not come from our own pages. Every form
// (and the X-CSRF-Token header of a script) must carry the token of the visitor's session:
// it lives in the session cookie itself, encrypted and signed, so it is bound to that
// session and to nobody else's, and a cookie planted by another site or a subdomain
// cannot stand in for it. Browsers that say a request is cross-site (Sec-Fetch-Site) are
// refused whatever they carry.
func (h *Handler) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := h.session(c)
		token, _ := sess.Values[keyCSRF].(string)
		if token == "" {
			token = newCSRFToken(sess)
			if err := sess.Save(c.Request(), c.Response()); err != nil {
				return err
			}
		}
		c.Set(ctxCSRF, token)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			return next(c)
		}
		if c.Request().Header.Get(echo.HeaderSecFetchSite) == "cross-site" {
			return csrfRefused()
		}
		sent := c.Request().Header.Get(echo.HeaderXCSRFToken)
		if sent == "" {
			sent = c.FormValue("_csrf")
		}
		if subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
			return csrfRefused()
		}
		return next(c)
	}
}

func csrfRefused() error {
	return echo.NewHTTPError(http.StatusForbidden, "This form has expired or did not come from this site. Go back, reload the page and try again.")
}

// newCSRFToken puts a new random CSRF token in the session and returns it.
func newCSRFToken(sess *sessions.Session) string {
	token := rand.Text()
	sess.Values[keyCSRF] = token
	return token
}

// safeMethodsOnly applies m to GET and HEAD requests only. The not-found page uses it
// for the CSRF middleware: a GET gets the token its sign-out form needs, and a POST to a
// path that does nothing answers 404 rather than a CSRF refusal.
func safeMethodsOnly(m echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		checked := m(next)
		return func(c echo.Context) error {
			if c.Request().Method == http.MethodGet || c.Request().Method == http.MethodHead {
				return checked(c)
			}
			return next(c)
		}
	}
}

// csrfToken is the token the current page's forms must carry.
func csrfToken(c echo.Context) string {
	t, _ := c.Get(ctxCSRF).(string)
	return t
}

// requireUser sends anonymous visitors to the sign-in page, remembering where they were
// going.
func (h *Handler) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == nil {
			target := "/login"
			if c.Request().Method == http.MethodGet {
				target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
			}
			return c.Redirect(http.StatusSeeOther, target)
		}
		return next(c)
	}
}

// requireFreelancer lets freelancers through. Staff are never referrers, so staff are
// sent to the admin pages instead.
func (h *Handler) requireFreelancer(next echo.HandlerFunc) echo.HandlerFunc {
	return h.requireUser(func(c echo.Context) error {
		if currentUser(c).IsStaff() {
			return c.Redirect(http.StatusSeeOther, "/admin")
		}
		return next(c)
	})
}

// requireStaff lets program staff of every role through (every staff role reads every
// admin page) and answers 403 to everyone else signed in (R15). Staff who have not set
// up two-factor sign-in are sent to do it first (requireEnrolled).
func (h *Handler) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return h.requireUser(func(c echo.Context) error {
		if !currentUser(c).IsStaff() {
			return echo.NewHTTPError(http.StatusForbidden, "This page is for program staff.")
		}
		return h.requireEnrolled(next)(c)
	})
}

// requirePermission lets through only staff whose role may take actions needing p
// (docs/rules.md, "Staff roles"), and answers 403 to the rest. It comes after requireStaff.
// The Store checks the same permission again in the method the handler calls.
func (h *Handler) requirePermission(p models.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if u := currentUser(c); u == nil || !u.Role.May(p) {
				return forbidden(p)
			}
			return next(c)
		}
	}
}

// forbidden is the 403 of a staff action outside the viewer's role.
func forbidden(p models.Permission) error {
	return echo.NewHTTPError(http.StatusForbidden, "Your role does not allow this: only "+views.RolesThatMay(p)+" may "+string(p)+".")
}

// requestLog writes one line per request: its id, method, route pattern, path, status,
// duration in milliseconds, the signed-in user's id (0 for none) and address, and for a server-side
// failure the error, once. Nothing secret goes in: no query string, no body, no header,
// and path parameters named like a token (sign-in links, unsubscribe links) are hidden.
func (h *Handler) requestLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus:    true,
		LogMethod:    true,
		LogLatency:   true,
		LogRequestID: true,
		LogRemoteIP:  true,
		LogError:     true,
		HandleError:  true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			var userID int64
			if u := currentUser(c); u != nil {
				userID = u.ID
			}
			attrs := []slog.Attr{
				slog.String("id", v.RequestID),
				slog.String("method", v.Method),
				slog.String("route", c.Path()),
				slog.String("path", loggedPath(c)),
				slog.Int("status", v.Status),
				slog.Float64("duration_ms", float64(v.Latency.Microseconds())/1000),
				slog.Int64("user", userID),
				slog.String("ip", v.RemoteIP),
			}
			level := slog.LevelInfo
			if v.Error != nil && v.Status >= 500 {
				level = slog.LevelError
				attrs = append(attrs, slog.String("error", v.Error.Error()))
			}
			h.log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// loggedPath is the request's path with the value of every path parameter named like a
// token replaced, so that a usable link never sits in the logs.
func loggedPath(c echo.Context) string {
	path := c.Request().URL.Path
	for i, name := range c.ParamNames() {
		if v := c.ParamValues()[i]; strings.Contains(name, "token") && v != "" {
			path = strings.Replace(path, v, "[hidden]", 1)
		}
	}
	return path
}

// safeNext returns next when it is a path on this site, or "". Anything that a browser
// could read as another host (//host, /\host, a scheme) is refused.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	if strings.ContainsAny(next, "\\\r\n\t") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return ""
	}
	return next
}
