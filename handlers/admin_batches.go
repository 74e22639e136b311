package handlers

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// adminBatches lists the monthly batches (R11).
func (h *Handler) adminBatches(c echo.Context) error {
	page, err := h.store.Batches(c.Request().Context(), paging(c))
	if err != nil {
		return err
	}
	m := views.AdminBatchesModel{Now: h.store.Now(), Page: page}
	return render(c, http.StatusOK, views.AdminBatches(h.page(c, "Batches", "/admin/batches"), m))
}

// adminBatch shows one month's batch.
func (h *Handler) adminBatch(c echo.Context) error {
	month := c.Param("month")
	b, err := h.store.Batch(c.Request().Context(), month, paging(c))
	if err != nil {
		return err
	}
	m := views.AdminBatchModel{Now: h.store.Now(), Batch: b}
	return render(c, http.StatusOK, views.AdminBatch(h.page(c, views.MonthName(month)+" batch", "/admin/batches"), m))
}

// adminPayBatch pays a batch and says what it paid. Paying again pays only what is
// still unpaid, so a double submit or a rerun after a failure is harmless.
func (h *Handler) adminPayBatch(c echo.Context) error {
	month := c.Param("month")
	if _, err := models.ParseBatchMonth(month); err != nil {
		return models.ErrNotFound
	}
	res, err := h.store.PayBatch(c.Request().Context(), models.StaffActor(*currentUser(c), c.RealIP()), month)
	if err != nil {
		return err
	}
	back := "/admin/batches/" + month
	if len(res.Paid) == 0 {
		return h.redirectWithFlash(c, back, views.FlashInfo, "Nothing to pay: every approved credit in this batch is already paid.")
	}
	return h.redirectWithFlash(c, back, views.FlashSuccess, fmt.Sprintf("Paid %s (%s) in the %s batch.",
		views.Plural(int64(len(res.Paid)), "credit", "credits"), views.Money(res.PaidCents), views.MonthName(month)))
}

// adminExportBatch sends a batch as CSV for finance. The file is built whole before the
// first byte goes out, so a failure midway is an error page, never a truncated file that
// looks complete (a batch of 10,000 payouts is about 2 MB).
func (h *Handler) adminExportBatch(c echo.Context) error {
	month := c.Param("month")
	if _, err := models.ParseBatchMonth(month); err != nil {
		return models.ErrNotFound
	}
	var file bytes.Buffer
	out, err := views.NewBatchCSV(&file)
	if err != nil {
		return err
	}
	if err := h.store.EachBatchPayout(c.Request().Context(), month, out.Write); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="referral-credits-%s.csv"`, month))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", file.Bytes())
}
