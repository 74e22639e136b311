// Package handlers is the HTTP side of the product: Echo routes, middleware, and one
// handler per page or action. Handlers are thin: they parse and validate input, call one
// Store method, and hand plain data to a views component. The rules live in models.
package handlers

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"runtime"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"referrals/metrics"
	"referrals/models"
	"referrals/static"
	"referrals/tokens"
	"referrals/views"
)

// Options are what the web application needs from its environment.
type Options struct {
	Store *models.Store
	Log   *slog.Logger
	// BaseURL is the public address, e.g. https://referrals.example.com. Invite links
	// start with it; https turns on Secure cookies and HSTS.
	BaseURL string
	// SessionSecret keys the session cookies and signed links (at least 32 bytes).
	SessionSecret []byte
	// WebhookSecret keys the signatures of the machine API: at least 32 bytes, or empty
	// (the API then refuses every request).
	WebhookSecret string
	// TrustedProxies are the networks (CIDR) of load balancers whose X-Forwarded-For
	// is believed. Empty: the client address is the connection's peer.
	TrustedProxies []string
	// EmailDelivery says emails are delivered (SMTP_URL is set); without it the outbox
	// says that they wait there.
	EmailDelivery bool
	// MarketplaceName names the marketplace on the pages and in the emails friends and
	// referrers see (MARKETPLACE_NAME); empty means views.DefaultMarketplaceName.
	MarketplaceName string
	// MaxInFlight bounds the pages and API calls served at once (see admit); zero picks
	// as many as the database has connections, at most two per core.
	MaxInFlight int
	// Deadlines bound each request's time (see deadline); zero fields take the defaults.
	Deadlines Deadlines
	// Metrics counts requests, admissions and refused sign-ins; nil counts into a
	// registry nobody reads.
	Metrics *metrics.Metrics
	// Draining, when it reports true, makes /readyz answer 503 while requests are still
	// served: the process is about to stop, and the load balancer should send no more.
	Draining func() bool
}

// Handler holds what every handler needs. There is one per server.
type Handler struct {
	store    *models.Store
	log      *slog.Logger
	sessions *sessions.CookieStore
	// sessionCookie names the session cookie (see cookieName).
	sessionCookie string
	assets        *static.Assets
	baseURL       string
	secure        bool
	webhookSecret string
	emailDelivery bool
	// countries is the sign-up form's list, sorted once (it takes a collation sort).
	countries []models.Country
	// signInLinks signs the tokens of emailed sign-in links.
	signInLinks *tokens.Codec
	// emails writes out emails as this process would send them (the outbox's preview),
	// and reads the unsubscribe links it signs.
	emails views.Emails
	// inFlight holds one token per request being served (see admit).
	inFlight  chan struct{}
	deadlines Deadlines
	metrics   *metrics.Metrics
	draining  func() bool
	// marketplace is MARKETPLACE_NAME.
	marketplace string
	// shareKits caches each invite link's share kit (QR code, message, share links).
	shareKits *shareKits
}

// New builds the web application: the router with every route, middleware and the error
// page.
func New(opts Options) (*echo.Echo, error) {
	base, err := url.Parse(opts.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("BASE_URL must be an http(s) address like https://referrals.example.com, not %q", opts.BaseURL)
	}
	if len(opts.SessionSecret) < 32 {
		return nil, errors.New("SESSION_SECRET must be at least 32 bytes")
	}
	if err := CheckWebhookSecret(opts.WebhookSecret); err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{
		store:         opts.Store,
		log:           log,
		assets:        static.New(),
		baseURL:       strings.TrimRight(opts.BaseURL, "/"),
		secure:        base.Scheme == "https",
		webhookSecret: opts.WebhookSecret,
		emailDelivery: opts.EmailDelivery,
		countries:     models.Countries(),
		marketplace:   cmp.Or(strings.TrimSpace(opts.MarketplaceName), views.DefaultMarketplaceName),
		shareKits:     newShareKits(),
	}
	h.sessionCookie = cookieName("referrals_session", h.secure)
	if h.sessions, err = newSessionStore(opts.SessionSecret, h.secure); err != nil {
		return nil, err
	}
	if h.signInLinks, err = tokens.New(opts.SessionSecret, tokens.SignInLink); err != nil {
		return nil, err
	}
	if h.emails, err = views.NewEmails(h.baseURL, h.marketplace, opts.SessionSecret); err != nil {
		return nil, err
	}
	inFlight := opts.MaxInFlight
	if inFlight <= 0 {
		// Two per core: a page is one or a few statements now, so more requests in
		// flight only make the server and PostgreSQL share the cores by slices. Measured
		// with bench-compare against four per core (PostgreSQL, dashboard, 50 clients):
		// the same requests per second, p99 0.87x, PostgreSQL CPU per request 0.86x.
		inFlight = min(opts.Store.MaxConnections(), 2*runtime.GOMAXPROCS(0))
	}
	h.inFlight = make(chan struct{}, inFlight)
	h.deadlines = opts.Deadlines.withDefaults()
	h.metrics = opts.Metrics
	if h.metrics == nil {
		h.metrics = metrics.New()
	}
	h.draining = opts.Draining
	if h.draining == nil {
		h.draining = func() bool { return false }
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = h.handleError
	if e.IPExtractor, err = ipExtractor(opts.TrustedProxies); err != nil {
		return nil, err
	}
	h.routes(e)
	return e, nil
}

// ipExtractor believes X-Forwarded-For only from the given proxies. Echo's default
// believes it from anyone, which would let a client choose its own rate-limit bucket.
func ipExtractor(trusted []string) (echo.IPExtractor, error) {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect(), nil
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, cidr := range trusted {
		_, network, err := net.ParseCIDR(strings.TrimSpace(cidr))
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is not a network like 10.0.0.0/8", cidr)
		}
		opts = append(opts, echo.TrustIPRange(network))
	}
	return echo.ExtractIPFromXFFHeader(opts...), nil
}
