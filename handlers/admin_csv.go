package handlers

import (
	"encoding/csv"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// csvFlushRows is how many rows an export writes between flushes to the client: small
// enough that the download starts at once and the server holds a few kilobytes, large
// enough that flushing costs nothing.
const csvFlushRows = 200

// streamCSV answers an export: the header row, then each row that each calls write with,
// flushed to the client as it goes, so an export of any size takes flat memory. A
// failure before the first flush is the error page; after it, the response is cut short
// (the chunked body never ends), which a client reports as a failed download rather
// than a file that looks complete.
func streamCSV(c echo.Context, filename string, header []string, each func(write func([]string) error) error) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, filename))
	res.Header().Set("Cache-Control", "no-store")
	w := csv.NewWriter(res)
	started := false
	rows := 0
	write := func(row []string) error {
		if !started {
			res.WriteHeader(http.StatusOK)
			started = true
			if err := w.Write(header); err != nil {
				return err
			}
		}
		if err := w.Write(row); err != nil {
			return err
		}
		if rows++; rows%csvFlushRows == 0 {
			w.Flush()
			if err := w.Error(); err != nil {
				return err
			}
			res.Flush()
		}
		return nil
	}
	if err := each(write); err != nil {
		if !started {
			return err
		}
		panic(http.ErrAbortHandler) // cut the response short: the client sees a failed download
	}
	if !started {
		res.WriteHeader(http.StatusOK)
		if err := w.Write(header); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
