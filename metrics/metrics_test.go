package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestLabelsStayBounded(t *testing.T) {
	m := New()
	e := echo.New()
	e.Use(m.Middleware())
	e.GET("/r/:code", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/r/ANYTHING", nil),
		httptest.NewRequest("BREW", "/r/OTHER", nil),
		httptest.NewRequest(http.MethodGet, "/nowhere/at/all", nil),
	} {
		e.ServeHTTP(httptest.NewRecorder(), r)
	}
	for labels, want := range map[[3]string]float64{
		{"GET", "/r/:code", "200"}: 1,
		// Echo answers an unknown method on a known path 405, still under its pattern.
		{"other", "/r/:code", "405"}: 1,
	} {
		if got := testutil.ToFloat64(m.requests.WithLabelValues(labels[:]...)); got != want {
			t.Errorf("%v: %v, want %v", labels, got, want)
		}
	}
	if n := testutil.CollectAndCount(m.requests); n != 3 {
		t.Errorf("%d request series, want 3 (no series per path)", n)
	}
}

// BenchmarkMiddleware is what counting and timing adds to a request.
func BenchmarkMiddleware(b *testing.B) {
	for _, counted := range []bool{false, true} {
		name := "bare"
		if counted {
			name = "counted"
		}
		b.Run(name, func(b *testing.B) {
			e := echo.New()
			if counted {
				e.Use(New().Middleware())
			}
			e.GET("/admin/payouts/:id", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
			req := httptest.NewRequest(http.MethodGet, "/admin/payouts/42", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				e.ServeHTTP(w, req)
			}
		})
	}
}
