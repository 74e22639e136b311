package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"referrals/docs"
	"referrals/models"
)

// The machine API (docs/api.md) answers JSON: 200 with one result per item, in order, or an
// error {"error": "..."} from the error handler. A body it cannot read applies nothing.

// openAPI serves the OpenAPI 3.1 document of the machine API and the webhooks
// (docs/openapi.json, embedded in the binary).
func (h *Handler) openAPI(c echo.Context) error {
	return c.JSONBlob(http.StatusOK, docs.OpenAPI)
}

// decodeAPIBody reads the verified body into v, or answers 400 saying what is wrong.
func decodeAPIBody(c echo.Context, v any) error {
	body := apiBody(c)
	// The JSON decoder would turn bytes that are not UTF-8 into U+FFFD, and store them so.
	if !utf8.Valid(body) {
		return echo.NewHTTPError(http.StatusBadRequest, "The body is not UTF-8 text. Nothing was applied.")
	}
	// So would an escaped half of a UTF-16 surrogate pair ("\ud800" alone).
	if hasLoneSurrogate(body) {
		return echo.NewHTTPError(http.StatusBadRequest, "The body escapes half of a UTF-16 surrogate pair (\\uD800-\\uDFFF without its other half), which is not a character. Nothing was applied.")
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	msg := "The body is not valid JSON."
	switch {
	case errors.As(err, &syntax):
		msg = fmt.Sprintf("The body is not valid JSON (at byte %d): %s.", syntax.Offset, syntax.Error())
	case errors.As(err, &typ) && typ.Field == "":
		msg = "The body must be a JSON object."
	case errors.As(err, &typ):
		msg = fmt.Sprintf("%s must be %s, not a JSON %s.", typ.Field, jsonKind(typ.Type), typ.Value)
	}
	return echo.NewHTTPError(http.StatusBadRequest, msg+" Nothing was applied.").SetInternal(err)
}

// hasLoneSurrogate reports whether a JSON text escapes a UTF-16 surrogate without its
// pair: a high one (\uD800-\uDBFF) not followed by a low one (\uDC00-\uDFFF), or a low
// one alone. Backslashes outside strings are a syntax error the decoder reports.
func hasLoneSurrogate(body []byte) bool {
	escaped := func(i int) (rune, bool) { // the \uXXXX at body[i:], if there is one
		if i+6 > len(body) || body[i] != '\\' || body[i+1] != 'u' {
			return 0, false
		}
		r, err := strconv.ParseUint(string(body[i+2:i+6]), 16, 32)
		return rune(r), err == nil
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		r, ok := escaped(i)
		if !ok {
			i++ // an escape like \" or \\: skip the escaped character
			continue
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			if low, ok := escaped(i + 6); !ok || low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 6
		}
		i += 5
	}
	return false
}

// jsonKind names what a Go type accepts, for an error message.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "an array"
	case reflect.Struct:
		return "an object"
	}
	return "something else"
}

// apiStoreError answers a replayed request with 409; other errors go on as they are.
func apiStoreError(err error) error {
	if errors.Is(err, models.ErrReplay) {
		return echo.NewHTTPError(http.StatusConflict, "This signed request was already received: a replay. Nothing was applied; sign a new request to send it again.").SetInternal(err)
	}
	return err
}

// checkItems refuses a missing list or one longer than the API takes.
func checkItems[T any](key string, items *[]T) error {
	switch {
	case items == nil:
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf(`The body must be {"%s": [...]}. Nothing was applied.`, key))
	case len(*items) > models.MaxEarningsBatch:
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("At most %d %s per request; this one has %d. Nothing was applied.", models.MaxEarningsBatch, key, len(*items)))
	}
	return nil
}
