package models

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// EarningsCSVHeader is the header of an earnings file (docs/csv.md): amounts are dollars
// with at most two decimals, times RFC 3339 or YYYY-MM-DD, and the currency is USD.
func EarningsCSVHeader() []string {
	return []string{"id", "freelancer_email", "amount", "category", "client_id", "occurred_at"}
}

// RowError is one bad row of an earnings file.
type RowError struct {
	Line   int
	Reason string
}

// BadRows is the error of an earnings file with bad rows: nothing of it was applied.
type BadRows []RowError

func (b BadRows) Error() string {
	parts := make([]string, 0, min(len(b), 3))
	for _, r := range b[:min(len(b), 3)] {
		parts = append(parts, fmt.Sprintf("line %d: %s", r.Line, r.Reason))
	}
	more := ""
	if len(b) > 3 {
		more = fmt.Sprintf(" (and %d more)", len(b)-3)
	}
	return fmt.Sprintf("%d bad %s, nothing was imported: %s%s", len(b), plural(len(b), "row", "rows"), strings.Join(parts, "; "), more)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ParseEarningsCSV reads and checks a whole earnings file before anything is applied:
// the rows it can read become the file's events, and every other row is in file.Bad with
// its line number and what is wrong with it (ImportEarnings applies nothing of a file with
// bad rows, and adds the rows the stored events refuse). A file that cannot be read as
// earnings at all (empty, or a wrong header: a bad line 1) is a BadRows error. Columns
// may come in any order; surrounding spaces and a byte-order mark are ignored. An id may
// appear again only as a duplicate: the same event once normalised as the Store
// compares redeliveries (letter case, spaces, time-zone offsets), else it is a bad row.
func ParseEarningsCSV(name string, r io.Reader) (EarningsFile, error) {
	file := EarningsFile{Name: name}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a row with the wrong number of fields is reported, not fatal
	cr.TrimLeadingSpace = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return file, BadRows{{1, "the file is empty; it needs the header " + strings.Join(EarningsCSVHeader(), ",")}}
	}
	if err != nil {
		return file, csvReadError(err)
	}
	col, reason := headerColumns(header)
	if reason != "" {
		return file, BadRows{{1, reason}}
	}

	// id -> the line it first appeared on and its event's payload hash. A repeat with the
	// same hash is a duplicate (reported as such when applied); with another, a bad row.
	type firstSeen struct {
		line int
		hash string
	}
	seen := map[string]firstSeen{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return file, fmt.Errorf("read %s: %w", name, err)
			}
			file.Bad = append(file.Bad, RowError{pe.StartLine, "not valid CSV: " + pe.Err.Error()})
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(EarningsCSVHeader()) {
			file.Bad = append(file.Bad, RowError{line, fmt.Sprintf("has %d fields; the header has %d", len(rec), len(EarningsCSVHeader()))})
			continue
		}
		field := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
		ev, problems := csvEvent(field)
		if len(problems) == 0 {
			c, _ := ev.check() // passed in csvEvent
			hash := c.payloadHash(c.email)
			if prev, dup := seen[c.id]; !dup {
				seen[c.id] = firstSeen{line, hash}
			} else if prev.hash != hash {
				problems = append(problems, fmt.Sprintf("id %q already appears on line %d with other values", ev.ID, prev.line))
			}
		}
		if len(problems) > 0 {
			file.Bad = append(file.Bad, RowError{line, strings.Join(problems, "; ")})
			continue
		}
		file.Events = append(file.Events, ev)
		file.Lines = append(file.Lines, line)
	}
	return file, nil
}

// headerColumns maps each expected column to its position, or says what is wrong.
func headerColumns(header []string) (map[string]int, string) {
	col := map[string]int{}
	var problems []string
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch _, dup := col[h]; {
		case !slices.Contains(EarningsCSVHeader(), h):
			problems = append(problems, fmt.Sprintf("unknown column %q", h))
		case dup:
			problems = append(problems, fmt.Sprintf("column %q appears twice", h))
		default:
			col[h] = i
		}
	}
	for _, h := range EarningsCSVHeader() {
		if _, ok := col[h]; !ok {
			problems = append(problems, fmt.Sprintf("column %q is missing", h))
		}
	}
	if len(problems) > 0 {
		return nil, "the header must be " + strings.Join(EarningsCSVHeader(), ",") + ": " + strings.Join(problems, "; ")
	}
	return col, ""
}

// csvEvent reads one row's fields into an event and lists everything wrong with it.
func csvEvent(field func(string) string) (EarningEvent, []string) {
	ev := EarningEvent{
		ID:              field("id"),
		FreelancerEmail: field("freelancer_email"),
		Currency:        "USD",
		Category:        field("category"),
		ClientID:        field("client_id"),
		OccurredAt:      field("occurred_at"),
	}
	var problems []string
	empty := func(name string) bool {
		if field(name) == "" {
			problems = append(problems, name+" is empty")
			return true
		}
		return false
	}
	empty("id")
	if !empty("freelancer_email") && ValidateEmail(ev.FreelancerEmail) != "" {
		problems = append(problems, fmt.Sprintf("freelancer_email %q is not an email address", ev.FreelancerEmail))
	}
	if raw := field("amount"); !empty("amount") {
		cents, err := ParseDollars(raw)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("amount %q %s", raw, strings.TrimPrefix(err.Error(), "amount ")))
		case cents == 0:
			problems = append(problems, "amount is 0")
		}
		ev.AmountCents = cents
	}
	empty("category")
	empty("client_id")
	if !empty("occurred_at") {
		if _, _, err := ParseOccurredAt(ev.OccurredAt); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) == 0 {
		// The rules every event meets, however it arrives (lengths, text, bounds).
		if _, reason := ev.check(); reason != "" {
			problems = append(problems, reason)
		}
	}
	return ev, problems
}

// csvReadError turns a CSV syntax error in the header into a bad line.
func csvReadError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return BadRows{{pe.StartLine, "not valid CSV: " + pe.Err.Error()}}
	}
	return err
}
