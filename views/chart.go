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
