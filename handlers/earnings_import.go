package handlers

import (
	"errors"
	"net/http"
	"path/filepath"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

const earningsImportTitle = "Import earnings"

// earningsImportPage shows the upload form and the file format.
func (h *Handler) earningsImportPage(c echo.Context) error {
	return h.renderEarningsImport(c, http.StatusOK, views.EarningsImportModel{})
}

// earningsImport checks an uploaded earnings CSV and applies it, all or nothing: the
// summary, or every bad row with its line number (422, nothing applied).
func (h *Handler) earningsImport(c echo.Context) error {
	var m views.EarningsImportModel
	upload, err := c.FormFile("file")
	if err != nil {
		m.FileError = "Choose a CSV file to import."
		return h.renderEarningsImport(c, http.StatusUnprocessableEntity, m)
	}
	m.FileName = filepath.Base(upload.Filename)
	f, err := upload.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	file, err := models.ParseEarningsCSV(m.FileName, f)
	var sum models.ImportSummary
	if err == nil {
		sum, err = h.store.ImportEarnings(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), file)
	}
	var bad models.BadRows
	switch {
	case errors.As(err, &bad):
		m.BadRows = bad
		return h.renderEarningsImport(c, http.StatusUnprocessableEntity, m)
	case err != nil:
		return err
	}
	m.Summary = &sum
	return h.renderEarningsImport(c, http.StatusOK, m)
}

func (h *Handler) renderEarningsImport(c echo.Context, status int, m views.EarningsImportModel) error {
	return render(c, status, views.EarningsImport(h.page(c, earningsImportTitle, "/admin/earnings/import"), m))
}
