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
}

type activityRow struct {
	Key, Label, Max string
	LabelY, MaxY    string
	BaseY           string
	Bars            []activityBar
}

type activityBar struct {
	X, Y, W, H string
	Day, Value string
}

type activityTick struct {
	X, Label, Anchor string
}

// activityLayout lays a's buckets out as bars.
func activityLayout(a models.Activity) activityChart {
	n := max(len(a.Buckets), 1)
	slot := float64(activityPlotW) / float64(n)
	gap := min(2.0, slot/4)
	series := []struct {
		key, label string
		value      func(models.ActivityBucket) int64
	}{
		{"clicks", "Clicks", func(b models.ActivityBucket) int64 { return b.Clicks }},
		{"sign-ups", "Sign-ups", func(b models.ActivityBucket) int64 { return b.SignUps }},
		{"qualified", "Qualified", func(b models.ActivityBucket) int64 { return b.Qualified }},
	}
	c := activityChart{}
	height := len(series)*activityRowH + activityAxisH
	c.ViewBox = "0 0 " + strconv.Itoa(activityWidth) + " " + strconv.Itoa(height)
	for i, s := range series {
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
		for j, b := range a.Buckets {
			v := s.value(b)
			if v == 0 || largest == 0 {
				continue
			}
			h := max(float64(v)*activityBarMaxH/float64(largest), 2)
			row.Bars = append(row.Bars, activityBar{
				X: svgNum(activityPlotX + float64(j)*slot + gap/2), Y: svgNum(float64(base) - h),
				W: svgNum(slot - gap), H: svgNum(h),
				Day: b.Start.Format("2006-01-02"), Value: Int64(v),
			})
		}
		c.Rows = append(c.Rows, row)
	}
	axis := len(series)*activityRowH + 14
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
	return c
}

// svgNum writes a coordinate with at most one decimal.
func svgNum(f float64) string { return strconv.FormatFloat(float64(int(f*10+0.5))/10, 'f', -1, 64) }

// ActivityRows are the buckets with any activity, newest first, for the table beside the
// chart.
func ActivityRows(a models.Activity) []models.ActivityBucket {
	var out []models.ActivityBucket
	for i := len(a.Buckets) - 1; i >= 0; i-- {
		if b := a.Buckets[i]; b.Clicks+b.SignUps+b.Qualified > 0 {
			out = append(out, b)
		}
	}
	return out
}

// BucketLabel names a bucket in the table: "Mar 4, 2019", or "Week of Mar 4, 2019".
func BucketLabel(a models.Activity, b models.ActivityBucket) string {
	if a.Weekly {
		return "Week of " + b.Start.Format("Jan 2, 2006")
	}
	return b.Start.Format("Mon, Jan 2, 2006")
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
