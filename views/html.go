package views

import (
	"context"
	"html"
	"io"
	"strconv"
	"sync"
	"time"

	"referrals/models"
)

// Text and Num write a value into a page as components, where { value } would do the
// same through fmt.Sprint and an extra copy (templ's expression runtime allocates twice
// per expression). The dashboard writes a few hundred values per page; these write them
// straight to the page's buffer, escaped, with no allocation.

// Text is a string written into HTML text, escaped.
type Text string

// Render writes t escaped as html.EscapeString does.
func (t Text) Render(_ context.Context, w io.Writer) error {
	return writeEscaped(w, string(t))
}

// Num is an integer written into HTML text.
type Num int64

// Render writes n in decimal.
func (n Num) Render(_ context.Context, w io.Writer) error {
	return writeInt(w, int64(n))
}

// scratchPool holds the arrays values are formatted in before they are written (an
// array of the caller's own, handed to w.Write, would escape to the heap: one allocation
// per value).
var scratchPool = sync.Pool{New: func() any { return new([64]byte) }}

// writeTime writes t in layout.
func writeTime(w io.Writer, t time.Time, layout string) error {
	b := scratchPool.Get().(*[64]byte)
	_, err := w.Write(t.AppendFormat(b[:0], layout))
	scratchPool.Put(b)
	return err
}

// writeInt writes n in decimal.
func writeInt(w io.Writer, n int64) error {
	b := scratchPool.Get().(*[64]byte)
	_, err := w.Write(strconv.AppendInt(b[:0], n, 10))
	scratchPool.Put(b)
	return err
}

// writeMoney writes Money(cents); writeDollars Dollars(cents) for 0 <= cents.
func writeMoney(w io.Writer, cents int64) error {
	b := scratchPool.Get().(*[64]byte)
	_, err := w.Write(appendMoney(b[:0], cents))
	scratchPool.Put(b)
	return err
}

func writeDollars(w io.Writer, cents int64) error {
	b := scratchPool.Get().(*[64]byte)
	_, err := w.Write(appendDollars(b[:0], cents))
	scratchPool.Put(b)
	return err
}

// writeEscaped writes s escaped for HTML text and attributes (html.EscapeString returns
// s itself, without allocating, when there is nothing to escape).
func writeEscaped(w io.Writer, s string) error {
	_, err := asStringWriter(w).WriteString(html.EscapeString(s))
	return err
}

// The friends' table repeats a badge, a progress bar and a timeline on every row: as
// plain components (values with a Render method) rather than templ functions, which make
// a closure per call, and writing into the page's buffer directly, they cost a row no
// allocation beyond its dates. Their markup is the same as Badge's and
// ReferralProgress's.

// badge is Badge(tone, label).
type badge struct{ tone, label string }

func (b badge) Render(_ context.Context, w io.Writer) error {
	sw := asStringWriter(w)
	if b.tone == "" {
		sw.WriteString(`<span class="badge">`)
	} else {
		sw.WriteString(`<span class="badge badge-`)
		writeEscaped(w, b.tone)
		sw.WriteString(`">`)
	}
	writeEscaped(w, b.label)
	_, err := sw.WriteString(`</span>`)
	return err
}

// progressCell is ReferralProgress(countedCents, the program's threshold, ended).
type progressCell struct {
	counted int64
	t       *programTexts
	ended   bool
}

func (p progressCell) Render(_ context.Context, w io.Writer) error {
	sw := asStringWriter(w)
	if p.ended {
		sw.WriteString(`<progress class="progress-ended" value="`)
	} else {
		sw.WriteString(`<progress value="`)
	}
	writeDollars(w, max(p.counted, 0))
	sw.WriteString(`" max="`)
	sw.WriteString(p.t.thresholdDollars)
	sw.WriteString(`" aria-label="`)
	writeMoney(w, p.counted)
	sw.WriteString(` of `)
	sw.WriteString(p.t.thresholdMoney)
	sw.WriteString(`"></progress><div class="progress-label">`)
	writeMoney(w, p.counted)
	sw.WriteString(` of `)
	sw.WriteString(p.t.thresholdMoney)
	_, err := sw.WriteString(`</div>`)
	return err
}

// timeline is a friend's way from joining to payment, as far as it went: one <li> per
// step, done (with its date) or not yet.
type timeline struct {
	f models.FriendRow
	p models.Program
	t *programTexts
}

func (tl timeline) Render(ctx context.Context, w io.Writer) error {
	f, t := tl.f, tl.t
	step := func(label string, at *time.Time) {
		sw := asStringWriter(w)
		if at == nil {
			sw.WriteString(`<li class="todo"><span>`)
			writeEscaped(w, label)
			sw.WriteString(`</span> <span class="muted">not yet</span></li>`)
			return
		}
		sw.WriteString(`<li class="done"><span>`)
		writeEscaped(w, label)
		sw.WriteString(`</span> `)
		dateTime{*at, t.loc}.Render(ctx, w)
		sw.WriteString(`</li>`)
	}
	joined := f.RegisteredAt
	step("Joined through your link", &joined)
	step(t.firstEarning, f.FirstEarningAt)
	if f.Stage == models.StageExpired {
		deadline := tl.p.Deadline
		step("Deadline passed", &deadline)
		return nil
	}
	step(t.reached, f.QualifiedAt)
	if f.Stage == models.StageRejected {
		step("Credit not approved", f.DecidedAt)
		return nil
	}
	step("Credit approved", f.DecidedAt)
	step("Credit paid", f.PaidAt)
	return nil
}

// asStringWriter is w's own WriteString (templ's buffers have one), else io.WriteString.
func asStringWriter(w io.Writer) io.StringWriter {
	if sw, ok := w.(io.StringWriter); ok {
		return sw
	}
	return stringWriter{w}
}

type stringWriter struct{ w io.Writer }

func (s stringWriter) WriteString(str string) (int, error) { return io.WriteString(s.w, str) }

// appendMoney appends Money(cents) ("$1,234.56").
func appendMoney(buf []byte, cents int64) []byte {
	if cents < 0 || cents >= 100000 {
		return append(buf, Money(cents)...)
	}
	buf = append(buf, '$')
	return appendDollars(buf, cents)
}

// appendDollars appends Dollars(cents) ("310.00") for 0 <= cents.
func appendDollars(buf []byte, cents int64) []byte {
	if cents < 0 {
		return append(buf, Dollars(cents)...)
	}
	buf = strconv.AppendInt(buf, cents/100, 10)
	buf = append(buf, '.', byte('0'+cents%100/10), byte('0'+cents%10))
	return buf
}

// timelineSummary is a timeline's <summary>, with the friend's name for screen readers.
type timelineSummary string

func (name timelineSummary) Render(_ context.Context, w io.Writer) error {
	asStringWriter(w).WriteString(`<summary>Timeline<span class="visually-hidden">of `)
	writeEscaped(w, string(name))
	_, err := asStringWriter(w).WriteString(`</span></summary>`)
	return err
}

// dateTime is a <time> of an instant: the day in loc, and the instant in UTC.
type dateTime struct {
	at  time.Time
	loc *time.Location
}

func (d dateTime) Render(_ context.Context, w io.Writer) error {
	asStringWriter(w).WriteString(`<time datetime="`)
	writeTime(w, d.at.UTC(), time.RFC3339)
	asStringWriter(w).WriteString(`">`)
	writeTime(w, d.at.In(d.loc), "Jan 2, 2006")
	_, err := asStringWriter(w).WriteString(`</time>`)
	return err
}

// spaced is a string written into HTML text, escaped, then a space (where the markup
// has one between a value and the next element).
type spaced string

func (t spaced) Render(_ context.Context, w io.Writer) error {
	if err := writeEscaped(w, string(t)); err != nil {
		return err
	}
	_, err := asStringWriter(w).WriteString(" ")
	return err
}
