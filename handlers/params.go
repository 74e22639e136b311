package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"referrals/models"
)

// Reading what a request asks for: the page of a list, its search text, ids in paths and
// forms, and where a form wants to go back to.

// paging is the page of a list asked for with ?page=N.
func paging(c echo.Context) models.Paging {
	n, _ := strconv.Atoi(c.QueryParam("page"))
	return models.Paging{Page: n}
}

// search is the trimmed text of a list's search box (?q=).
func search(c echo.Context) string {
	return strings.TrimSpace(c.QueryParam("q"))
}

// pathID reads a numeric id from the path; anything else is a page that does not exist.
func pathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.ErrNotFound
	}
	return id, nil
}

// formIDs reads the repeated form field name as ids.
func formIDs(c echo.Context, name string) ([]int64, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.").SetInternal(err)
	}
	ids := make([]int64, 0, len(form[name]))
	for _, v := range form[name] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, echo.NewHTTPError(http.StatusBadRequest, "The selection contains something that is not a payout.")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// returnTo is the local page a form asks to go back to (its `next` field), or fallback.
func returnTo(c echo.Context, fallback string) string {
	if next := safeNext(c.FormValue("next")); next != "" {
		return next
	}
	return fallback
}
