package models

import (
	"encoding/json"
	"fmt"
	"time"
)

// packedReader reads the lists the dashboard's statement packs as JSON: arrays of
// integers, strings, nulls, instants and arrays, in an order the reader knows. It
// allocates only the strings it returns, where encoding/json would reflect over a
// destination and allocate for every value. A malformed list sets err, after which
// every read returns a zero value.
type packedReader struct {
	b   []byte
	i   int
	err error
}

func (j *packedReader) ws() {
	for j.i < len(j.b) {
		switch j.b[j.i] {
		case ' ', '\n', '\r', '\t':
			j.i++
		default:
			return
		}
	}
}

// sep passes the comma after a value, if any.
func (j *packedReader) sep() {
	j.ws()
	if j.i < len(j.b) && j.b[j.i] == ',' {
		j.i++
	}
}

func (j *packedReader) bad(what string) {
	if j.err == nil {
		j.err = fmt.Errorf("expected %s at %d of %q", what, j.i, trimmed(j.b))
	}
}

// fail is the error of a malformed list.
func (j *packedReader) fail() error {
	if j.err == nil {
		j.bad("a list")
	}
	return j.err
}

// null passes a null (or the end of the input: a NULL column) and reports whether there
// was one.
func (j *packedReader) null() bool {
	j.ws()
	if j.i >= len(j.b) {
		return true
	}
	if j.b[j.i] == 'n' && j.i+4 <= len(j.b) && string(j.b[j.i:j.i+4]) == "null" {
		j.i += 4
		j.sep()
		return true
	}
	return false
}

// open passes the '[' that starts a list.
func (j *packedReader) open() bool {
	j.ws()
	if j.err != nil || j.i >= len(j.b) || j.b[j.i] != '[' {
		j.bad("[")
		return false
	}
	j.i++
	return true
}

// more reports whether the list goes on.
func (j *packedReader) more() bool {
	j.ws()
	return j.err == nil && j.i < len(j.b) && j.b[j.i] != ']'
}

// close passes the ']' that ends a list.
func (j *packedReader) close() bool {
	j.ws()
	if j.err != nil || j.i >= len(j.b) || j.b[j.i] != ']' {
		j.bad("]")
		return false
	}
	j.i++
	j.sep()
	return true
}

// int reads an integer; null is 0.
func (j *packedReader) int() int64 {
	if j.err != nil || j.null() {
		return 0
	}
	start := j.i
	for j.i < len(j.b) && (j.b[j.i] == '-' || j.b[j.i] >= '0' && j.b[j.i] <= '9') {
		j.i++
	}
	n, ok := atoi(j.b[start:j.i])
	if !ok {
		j.i = start
		j.bad("an integer")
		return 0
	}
	j.sep()
	return n
}

// token reads a string's bytes as they stand between its quotes, and whether they hold
// an escape.
func (j *packedReader) token() (raw []byte, escaped bool, ok bool) {
	if j.err != nil || j.null() {
		return nil, false, false
	}
	if j.b[j.i] != '"' {
		j.bad("a string")
		return nil, false, false
	}
	start := j.i
	for k := j.i + 1; k < len(j.b); k++ {
		switch j.b[k] {
		case '\\':
			escaped = true
			k++
		case '"':
			j.i = k + 1
			j.sep()
			return j.b[start : k+1], escaped, true
		}
	}
	j.bad("the end of a string")
	return nil, false, false
}

// str reads a string; null is "".
func (j *packedReader) str() string {
	raw, escaped, ok := j.token()
	if !ok {
		return ""
	}
	if !escaped {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		j.bad("a string")
	}
	return s
}

// enum reads a string that is usually one of values, without allocating for those.
func (j *packedReader) enum(values []string) string {
	raw, escaped, ok := j.token()
	if !ok {
		return ""
	}
	if !escaped {
		for _, v := range values {
			if string(raw[1:len(raw)-1]) == v {
				return v
			}
		}
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		j.bad("a string")
	}
	return s
}

// timePtr reads an instant: microseconds since 1970 (PostgreSQL) or a stored time
// (SQLite); null is nil.
func (j *packedReader) timePtr() *time.Time {
	t, ok := j.instant()
	if !ok {
		return nil
	}
	return &t
}

// time reads an instant; null is the zero time.
func (j *packedReader) time() time.Time {
	t, _ := j.instant()
	return t
}

func (j *packedReader) instant() (time.Time, bool) {
	if j.err != nil || j.null() {
		return time.Time{}, false
	}
	if j.b[j.i] != '"' {
		return time.UnixMicro(j.int()).UTC(), j.err == nil
	}
	raw, escaped, ok := j.token()
	if !ok || escaped {
		j.bad("an instant")
		return time.Time{}, false
	}
	t, err := parseStoredTime(raw[1 : len(raw)-1])
	if err != nil {
		j.bad("an instant")
		return time.Time{}, false
	}
	return t, true
}

// times reads a list of instants (null: none); n is how many it likely holds.
func (j *packedReader) times(n int) []time.Time {
	if j.err != nil || j.null() || !j.open() {
		return nil
	}
	out := make([]time.Time, 0, n)
	for j.more() {
		out = append(out, j.time())
	}
	j.close()
	if len(out) == 0 {
		return nil
	}
	return out
}
