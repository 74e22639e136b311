package views

import "strconv"

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
