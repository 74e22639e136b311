package views

import (
	"strconv"
	"testing"
)

func TestSVGNumWritesTenthsAsStrconvWould(t *testing.T) {
	for _, f := range []float64{0, 0.04, 0.05, 0.96, 1, 2.5, 14.66, 179.7, 179.74, 263, 599.99, 712, 12345.67, -0.3, -0.04, -2, -12.25} {
		want := strconv.FormatFloat(float64(int(f*10+0.5))/10, 'f', -1, 64)
		if got := svgNum(f); got != want {
			t.Errorf("svgNum(%v) = %q, want %q", f, got, want)
		}
	}
}
