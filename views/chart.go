package views

import (
	"strconv"

	"referrals/models"
)

// The funnel chart's geometry, in SVG user units: labels on the left, bars after them,
// each bar's count right of the longest bar.
const (
	chartWidth     = 720
	chartBarX      = 170
	chartBarMax    = 450
	chartBarHeight = 26
	chartRowHeight = 40
)

func chartHeight(bars int) int64 { return int64(bars * chartRowHeight) }

// funnelRow is one bar of the funnel, laid out.
type funnelRow struct {
	Label, Value    string
	Y, TextY, Width string
	ValueX          string
}

// funnelRows lays out bars: widths are proportional to the largest value, and a bar
// that is not zero is at least visible.
func funnelRows(bars []ChartBar) []funnelRow {
	var largest int64
	for _, b := range bars {
		largest = max(largest, b.Value)
	}
	rows := make([]funnelRow, len(bars))
	for i, b := range bars {
		w := 0
		if largest > 0 && b.Value > 0 {
			w = max(int(b.Value*chartBarMax/largest), 3)
		}
		y := i*chartRowHeight + (chartRowHeight-chartBarHeight)/2
		rows[i] = funnelRow{
			Label:  b.Label,
			Value:  Int64(b.Value),
			Y:      strconv.Itoa(y),
			TextY:  strconv.Itoa(y + chartBarHeight/2),
			Width:  strconv.Itoa(w),
			ValueX: strconv.Itoa(chartBarX + chartBarMax + 12),
		}
	}
	return rows
}

// The activity chart's geometry: three rows of bars (clicks, sign-ups, qualifications),
// each scaled to its own largest value, sharing one time axis below them.
const (
	activityWidth   = 720
	activityPlotX   = 112
	activityPlotW   = activityWidth - activityPlotX - 8
	activityRowH    = 64
	activityBarMaxH = 46
	activityAxisH   = 22
)

type activityChart struct {
	ViewBox string
	Rows    []activityRow
	Ticks   []activityTick
	AxisY   string
	Summary string
	// TableRows are the rows of the table beside the chart (see activityTableRows).
	TableRows string
}

type activityRow struct {
	Key, Label, Max string
	LabelY, MaxY    string
	BaseY           string
	// Bars are the row's <rect> elements (see activityBars).
	Bars string
}

type activityTick struct {
	X, Label, Anchor string
}

// activitySeries are the chart's rows.
var activitySeries = []struct {
	key, label string
	value      func(models.ActivityBucket) int64
}{
	{"clicks", "Clicks", func(b models.ActivityBucket) int64 { return b.Clicks }},
	{"sign-ups", "Sign-ups", func(b models.ActivityBucket) int64 { return b.SignUps }},
	{"qualified", "Qualified", func(b models.ActivityBucket) int64 { return b.Qualified }},
}

// activityLayout lays a's buckets out as bars.
func activityLayout(a models.Activity) activityChart {
	n := max(len(a.Buckets), 1)
	slot := float64(activityPlotW) / float64(n)
	gap := min(2.0, slot/4)
	c := activityChart{Rows: make([]activityRow, 0, len(activitySeries))}
	height := len(activitySeries)*activityRowH + activityAxisH
	c.ViewBox = "0 0 " + strconv.Itoa(activityWidth) + " " + strconv.Itoa(height)
	buf := make([]byte, 0, 4096)
	for i, s := range activitySeries {
		var largest int64
		for _, b := range a.Buckets {
			largest = max(largest, s.value(b))
		}
		base := i*activityRowH + activityRowH - 8
		row := activityRow{
			Key: s.key, Label: s.label, Max: "max " + Int64(largest),
			LabelY: strconv.Itoa(base - activityBarMaxH + 12), MaxY: strconv.Itoa(base - activityBarMaxH + 30),
			BaseY: strconv.Itoa(base),
		}
		// The space the markup has between the base line and the bars.
		buf = activityBars(append(buf[:0], ' '), a, s.value, largest, base, slot, gap)
		row.Bars = string(buf)
		c.Rows = append(c.Rows, row)
	}
	axis := len(activitySeries)*activityRowH + 14
	c.AxisY = strconv.Itoa(axis)
	if len(a.Buckets) > 0 {
		first, last := a.Buckets[0], a.Buckets[len(a.Buckets)-1]
		c.Ticks = append(c.Ticks, activityTick{X: strconv.Itoa(activityPlotX), Label: first.Start.Format("Jan 2"), Anchor: "start"})
		if len(a.Buckets) > 1 {
			c.Ticks = append(c.Ticks, activityTick{X: svgNum(activityPlotX + float64(len(a.Buckets)-1)*slot + slot), Label: last.Start.Format("Jan 2"), Anchor: "end"})
		}
		t := a.Totals()
		per := "day"
		if a.Weekly {
			per = "week"
		}
		c.Summary = "Your link's activity per " + per + " from " + first.Start.Format("Jan 2, 2006") + " to " + last.Start.Format("Jan 2, 2006") + ": " +
			Plural(t.Clicks, "click", "clicks") + ", " + Plural(t.SignUps, "sign-up", "sign-ups") + ", " + Int64(t.Qualified) + " qualified."
	}
	c.TableRows = string(activityTableRows(buf[:0], a))
	return c
}

// The chart's bars and the table's rows are the dashboard's most repeated markup (a bar
// per day and series, a row per active day), made of numbers and dates this file
// formats. They are written here, straight into one buffer, rather than as templ
// expressions, each of which costs allocations (about a third of a dashboard's, measured
// with BenchmarkDashboard); nothing in them comes from a person, so nothing needs
// escaping, and templ writes them as they are (templ.Raw).

// activityBars appends one series' bars: <rect x y width height data-day data-value>.
func activityBars(buf []byte, a models.Activity, value func(models.ActivityBucket) int64, largest int64, base int, slot, gap float64) []byte {
	for j, b := range a.Buckets {
		v := value(b)
		if v == 0 || largest == 0 {
			continue
		}
		h := max(float64(v)*activityBarMaxH/float64(largest), 2)
		buf = append(buf, `<rect x="`...)
		buf = appendSVGNum(buf, activityPlotX+float64(j)*slot+gap/2)
		buf = append(buf, `" y="`...)
		buf = appendSVGNum(buf, float64(base)-h)
		buf = append(buf, `" width="`...)
		buf = appendSVGNum(buf, slot-gap)
		buf = append(buf, `" height="`...)
		buf = appendSVGNum(buf, h)
		buf = append(buf, `" data-day="`...)
		buf = b.Start.AppendFormat(buf, "2006-01-02")
		buf = append(buf, `" data-value="`...)
		buf = strconv.AppendInt(buf, v, 10)
		buf = append(buf, `"></rect>`...)
	}
	return buf
}

// activityTableRows appends the table's rows: the buckets with any activity, newest
// first.
func activityTableRows(buf []byte, a models.Activity) []byte {
	for i := len(a.Buckets) - 1; i >= 0; i-- {
		b := a.Buckets[i]
		if b.Clicks+b.SignUps+b.Qualified == 0 {
			continue
		}
		buf = append(buf, `<tr data-day="`...)
		buf = b.Start.AppendFormat(buf, "2006-01-02")
		buf = append(buf, `"><th scope="row">`...)
		if a.Weekly {
			buf = append(buf, "Week of "...)
			buf = b.Start.AppendFormat(buf, "Jan 2, 2006")
		} else {
			buf = b.Start.AppendFormat(buf, "Mon, Jan 2, 2006")
		}
		buf = append(buf, `</th><td class="num">`...)
		buf = appendInt64(buf, b.Clicks)
		buf = append(buf, `</td><td class="num">`...)
		buf = appendInt64(buf, b.SignUps)
		buf = append(buf, `</td><td class="num">`...)
		buf = appendInt64(buf, b.Qualified)
		buf = append(buf, `</td></tr>`...)
	}
	return buf
}

// appendInt64 appends Int64(n) ("1,234").
func appendInt64(buf []byte, n int64) []byte {
	if n > -1000 && n < 1000 {
		return strconv.AppendInt(buf, n, 10)
	}
	return append(buf, Int64(n)...)
}

// svgNum writes a coordinate with at most one decimal.
func svgNum(f float64) string { return string(appendSVGNum(nil, f)) }

// appendSVGNum appends svgNum(f): f rounded to tenths, written as integer tenths
// ("263", "179.7"), which is what strconv's shortest form of tenths gives, without
// formatting a float.
func appendSVGNum(buf []byte, f float64) []byte {
	tenths := int64(f*10 + 0.5)
	if tenths < 0 {
		buf = append(buf, '-')
		tenths = -tenths
	}
	buf = strconv.AppendInt(buf, tenths/10, 10)
	if d := tenths % 10; d != 0 {
		buf = append(buf, '.', byte('0'+d))
	}
	return buf
}

// seriesBar is one week's bar of a small time-series chart, in a 0-100 box drawn
// without keeping proportions (the chart stretches to its container's width).
type seriesBar struct {
	X, Y, W, H string
	Label      string // for the bar's tooltip
}

// seriesBars lays out one bar per value, as tall as the value against the largest.
func seriesBars(values []int64, label func(i int) string) []seriesBar {
	var largest int64
	for _, v := range values {
		largest = max(largest, v)
	}
	bars := make([]seriesBar, len(values))
	slot := 100.0 / float64(max(len(values), 1))
	for i, v := range values {
		h := 0.0
		if largest > 0 && v > 0 {
			h = max(float64(v)*100/float64(largest), 2)
		}
		bars[i] = seriesBar{
			X: strconv.FormatFloat(float64(i)*slot+slot*0.15, 'f', 2, 64), W: strconv.FormatFloat(slot*0.7, 'f', 2, 64),
			Y: strconv.FormatFloat(100-h, 'f', 2, 64), H: strconv.FormatFloat(h, 'f', 2, 64), Label: label(i),
		}
	}
	return bars
}
