package handlers

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// Body limits. A page's form is small; the earnings CSV upload alone may be large, and
// its route reads it only once the staff check has passed (routes.go).
const (
	// formLimit bounds every form: the largest, a bulk decision on
	// models.MaxBulkDecisions payouts (500 ids of at most 19 digits), is under 13 KB.
	formLimit = 16 << 10
	// uploadLimit bounds the earnings CSV upload (some 400,000 rows).
	uploadLimit = 32 << 20
)

// readInput reads the request's form before anything else looks at it, and refuses
// input no page can take:
//
//   - a body larger than limit answers 413, without reading it when its length is
//     declared and after at most limit bytes when it is not;
//   - a form or query that cannot be parsed answers 400;
//   - text that is not valid UTF-8, or holds a NUL byte, in the path, the query, a form
//     field or an uploaded file's name, answers 400. PostgreSQL can store neither, and a
//     broken byte must never become a stored U+FFFD, so no handler sees such text.
//
// File parts beyond formLimit are written to temporary files (removed when the request
// ends), so even the upload's limit is never held in memory.
func (h *Handler) readInput(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return tooLarge(limit)
			}
			req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, limit)
			var err error
			if mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); mt == echo.MIMEMultipartForm {
				err = req.ParseMultipartForm(formLimit)
			} else {
				err = req.ParseForm()
			}
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				return tooLarge(limit)
			case err != nil:
				return echo.NewHTTPError(http.StatusBadRequest, "The address or the form could not be read. Go back, reload the page and try again.").SetInternal(err)
			case !textInput(req):
				return echo.NewHTTPError(http.StatusBadRequest, "The address or the form holds characters that are not text (a NUL byte, or bytes that are not UTF-8). Retype what you entered and try again.")
			}
			return next(c)
		}
	}
}

// tooLarge is the answer to a body over limit.
func tooLarge(limit int64) error {
	what := "This form is"
	if limit > formLimit {
		what = "This file is"
	}
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge, what+" larger than this page accepts.")
}

// textInput reports whether every piece of the request a handler may read as text is
// valid UTF-8 without NUL: the path, the query and form fields (names and values), and
// uploaded files' names.
func textInput(req *http.Request) bool {
	if !isText(req.URL.Path) {
		return false
	}
	// Form holds the query and the body's fields (ParseForm, ParseMultipartForm).
	if !textValues(req.Form) {
		return false
	}
	if req.MultipartForm != nil {
		for name, files := range req.MultipartForm.File {
			if !isText(name) {
				return false
			}
			for _, f := range files {
				if !isText(f.Filename) {
					return false
				}
			}
		}
	}
	return true
}

func textValues(values url.Values) bool {
	for name, vs := range values {
		if !isText(name) {
			return false
		}
		for _, v := range vs {
			if !isText(v) {
				return false
			}
		}
	}
	return true
}

// isText reports whether s is valid UTF-8 without a NUL byte.
func isText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
