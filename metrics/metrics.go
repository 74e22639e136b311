// Package metrics is what an operator measures the service by, in Prometheus' terms:
// request counts and latencies by route, the admission queue, sign-in failures and
// rate-limit refusals, job outcomes, and gauges read from the database on scrape (payouts
// and their amounts by status, the outbox, webhook deliveries, the ledger, the job queue,
// the connection pool), plus the Go runtime's own families. They are served, with net/http/pprof, on a
// listener of their own (METRICS_ADDR), never on the public one.
package metrics

import (
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds one process's metrics in a registry of its own.
type Metrics struct {
	registry *prometheus.Registry

	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	inFlight       prometheus.Gauge
	queued         prometheus.Gauge
	signInFailures prometheus.Counter
	rateLimited    *prometheus.CounterVec
	jobs           *prometheus.CounterVec
}

// New makes the process's metrics: the HTTP and job families and the Go runtime's and
// the process's. Watch adds the database's.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "referrals_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "referrals_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, waiting for admission included, by route pattern.",
			// Pages must answer within 10 s and API calls within 30 s (their deadlines).
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "referrals_http_requests_in_flight",
			Help: "Page and API requests being served now (at most the admission limit).",
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "referrals_http_requests_queued",
			Help: "Page and API requests waiting for admission.",
		}),
		signInFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "referrals_signin_failures_total",
			Help: "Sign-ins refused for a wrong email, password or code.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "referrals_rate_limited_total",
			Help: "Requests refused by a rate limit (answered 429), by route pattern.",
		}, []string{"route"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "referrals_jobs_total",
			Help: "Background job attempts this process ended, by job kind and the state they left the job in.",
		}, []string{"kind", "outcome"}),
	}
	m.registry.MustRegister(
		m.requests, m.duration, m.inFlight, m.queued, m.signInFailures, m.rateLimited, m.jobs,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry is where the metrics are kept, for tests that read them directly.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves GET /metrics (Prometheus text format) and /debug/pprof/, for the
// metrics listener only.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		// A gauge whose query failed is left out; the rest are still served.
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.registry,
	}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// Middleware counts and times every request by its route pattern (never the raw path,
// which would make a series per URL). It must run outside the request logger, which
// renders errors, so that the status is the one sent.
func (m *Metrics) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			status := c.Response().Status
			if he, ok := err.(*echo.HTTPError); ok && !c.Response().Committed {
				status = he.Code
			}
			m.requests.WithLabelValues(method(c.Request().Method), route, statusText(status)).Inc()
			m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
			if status == http.StatusTooManyRequests {
				m.rateLimited.WithLabelValues(route).Inc()
			}
			return err
		}
	}
}

// Waiting counts a request waiting for admission; call the function it returns when it
// stops waiting.
func (m *Metrics) Waiting() (done func()) {
	m.queued.Inc()
	return m.queued.Dec
}

// Serving counts a request being served; call the function it returns when it is done.
func (m *Metrics) Serving() (done func()) {
	m.inFlight.Inc()
	return m.inFlight.Dec
}

// SignInFailed counts a refused sign-in.
func (m *Metrics) SignInFailed() { m.signInFailures.Inc() }

// JobFinished counts a job attempt that ended, leaving the job in state.
func (m *Metrics) JobFinished(kind, state string) { m.jobs.WithLabelValues(kind, state).Inc() }

// method keeps the method label to the known methods: a client may send any word.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusTexts are the status codes as label values, made once.
var statusTexts = func() (s [600]string) {
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

func statusText(code int) string {
	if code < 0 || code >= len(statusTexts) {
		return "other"
	}
	return statusTexts[code]
}
