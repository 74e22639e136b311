// Package netguard keeps the app's outgoing requests (webhooks) on the public internet:
// an address typed into a form must not make the server call into its own network
// (server-side request forgery), such as a cloud metadata service at 169.254.169.254,
// an admin port on loopback, or a database on 10.0.0.5.
//
// The check is made twice: when the address is entered (CheckURL, so the form can say
// why), and on every connection, against the IP address actually dialled (Client), since
// a host name can resolve to a public address today and to a private one tomorrow (DNS
// rebinding). Development and tests allow private addresses (WEBHOOK_ALLOW_PRIVATE=1).
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Policy says where outgoing requests may go.
type Policy struct {
	// AllowPrivate lets requests reach private, loopback and link-local addresses, and
	// use plain http: for development and tests only.
	AllowPrivate bool
}

// ErrForbiddenAddress: the address is not on the public internet.
var ErrForbiddenAddress = errors.New("not a public internet address")

// notPublic are ranges outside the public internet that the standard library's
// predicates do not cover (RFC 6890 and its updates).
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT (shared address space)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:10::/28"),    // deprecated ORCHID
	netip.MustParsePrefix("ff00::/8"),        // multicast
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated (SIIT)
}

// nat64 and sixToFour embed an IPv4 address in an IPv6 one; the IPv4 address decides.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// Public reports whether ip is on the public internet: not private, loopback,
// link-local, multicast, unspecified or otherwise reserved, whether written as IPv4 or
// as IPv6 around an IPv4 address.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid(), ip.IsPrivate(), ip.IsLoopback(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(),
		ip.IsInterfaceLocalMulticast(), ip.IsMulticast(), ip.IsUnspecified():
		return false
	case nat64.Contains(ip):
		b := ip.As16()
		return Public(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(ip):
		b := ip.As16()
		return Public(netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, p := range notPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// maxURLLength bounds a webhook address.
const maxURLLength = 2000

// lookupTimeout bounds resolving a host name when an address is entered.
const lookupTimeout = 5 * time.Second

// CheckURL says what is wrong with raw as the address of an outgoing request, in words
// for the person who typed it, or returns nil: it must be an absolute https address
// (http too when private addresses are allowed) without a user name or password, whose
// host resolves, and only to public addresses.
func (p Policy) CheckURL(ctx context.Context, raw string) error {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return errors.New("Enter the address that receives the webhooks.")
	}
	if len(raw) > maxURLLength {
		return fmt.Errorf("Use an address of at most %d characters.", maxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return errors.New("Enter a whole address, starting with https://.")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowPrivate:
	default:
		return errors.New("Use an https:// address: webhooks carry people's email addresses and payments.")
	}
	if u.User != nil {
		return errors.New("Leave the user name and password out of the address: the webhook signature proves who sends.")
	}
	if u.Fragment != "" {
		return errors.New("Leave out the # part of the address: it is never sent.")
	}
	if p.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !Public(ip) {
			return fmt.Errorf("%s is a private, loopback or link-local address: webhooks go to public internet addresses only.", host)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return fmt.Errorf("Could not find the host %s: check the address.", host)
	}
	for _, ip := range ips {
		if !Public(ip) {
			return fmt.Errorf("%s resolves to %s, a private, loopback or link-local address: webhooks go to public internet addresses only.", host, ip.Unmap())
		}
	}
	return nil
}

// Client is an HTTP client for outgoing requests under the policy. Each connection is
// checked against the IP address it dials, after resolution, so a host name that
// resolves to a private address is refused whatever it resolved to before. It uses no
// proxy from the environment (the check would see the proxy's address), follows no
// redirects (a redirect is the receiver's answer, not a new destination), and gives up
// on a request after timeout.
func (p Policy) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: p.control}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport:     transport,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// control refuses a connection to an address outside the policy, after DNS resolution
// and before any packet is sent.
func (p Policy) control(network, address string, _ syscall.RawConn) error {
	if p.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, ErrForbiddenAddress)
	}
	if !Public(ap.Addr()) {
		return fmt.Errorf("dial %s: %s is %w", address, ap.Addr().Unmap(), ErrForbiddenAddress)
	}
	return nil
}
