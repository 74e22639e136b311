package netguard_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"referrals/netguard"
)

func TestOnlyPublicAddressesArePublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.215.14":        true,
		"2606:4700::6810:85e5": true,
		"203.0.113.9":          true, // documentation, but not anyone's internal network
		"127.0.0.1":            false,
		"127.9.9.9":            false,
		"::1":                  false,
		"10.1.2.3":             false,
		"172.16.0.1":           false,
		"192.168.1.1":          false,
		"169.254.169.254":      false, // cloud metadata
		"fe80::1":              false,
		"fc00::1":              false,
		"fd12:3456::1":         false,
		"0.0.0.0":              false,
		"::":                   false,
		"100.64.0.1":           false,
		"224.0.0.1":            false,
		"255.255.255.255":      false,
		"::ffff:127.0.0.1":     false, // IPv4-mapped
		"::ffff:10.0.0.1":      false,
		"64:ff9b::a00:1":       false, // NAT64 of 10.0.0.1
		"64:ff9b::5db8:d70e":   true,  // NAT64 of 93.184.215.14
		"2002:a9fe:a9fe::1":    false, // 6to4 of 169.254.169.254
		"ff02::1":              false,
	} {
		if got := netguard.Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestWebhookAddressesAreCheckedWhenEntered(t *testing.T) {
	ctx := context.Background()
	strict := netguard.Policy{}
	for raw, want := range map[string]string{
		"":                                         "Enter the address",
		"marketplace.example.com/hooks":            "whole address",
		"/hooks":                                   "whole address",
		"ftp://203.0.113.9/hooks":                  "https://",
		"http://203.0.113.9/hooks":                 "https://",
		"https://user:pw@203.0.113.9/hooks":        "user name and password",
		"https://203.0.113.9/hooks#x":              "# part",
		"https://127.0.0.1/hooks":                  "private, loopback or link-local",
		"https://[::1]:8443/hooks":                 "private, loopback or link-local",
		"https://169.254.169.254/latest/meta-data": "private, loopback or link-local",
		"https://10.0.0.5/hooks":                   "private, loopback or link-local",
		"https://localhost/hooks":                  "resolves to 127.0.0.1",
		"https://" + strings.Repeat("a", 2000):     "at most 2000 characters",
		"https://203.0.113.9/hooks":                "",
	} {
		err := strict.CheckURL(ctx, raw)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v, want accepted", raw, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: %v, want an error saying %q", raw, err, want)
		}
	}
	// Development and tests: private addresses and plain http are allowed.
	dev := netguard.Policy{AllowPrivate: true}
	for _, raw := range []string{"http://127.0.0.1:8080/hooks", "https://localhost/hooks"} {
		if err := dev.CheckURL(ctx, raw); err != nil {
			t.Errorf("%q with private addresses allowed: %v", raw, err)
		}
	}
	if err := dev.CheckURL(ctx, "ftp://127.0.0.1/"); err == nil {
		t.Error("ftp accepted with private addresses allowed")
	}
}

func TestTheClientRefusesPrivateAddressesWhenItDials(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	// By IP, and by a name that resolves to loopback (as a rebinding name would, after
	// the address was checked).
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for _, target := range []string{srv.URL, byName} {
		_, err := netguard.Policy{}.Client(5*time.Second).Post(target, "application/json", strings.NewReader("{}"))
		if !errors.Is(err, netguard.ErrForbiddenAddress) {
			t.Errorf("POST %s: %v, want ErrForbiddenAddress", target, err)
		}
	}
	if hits != 0 {
		t.Fatalf("the server got %d requests", hits)
	}
	res, err := netguard.Policy{AllowPrivate: true}.Client(5*time.Second).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if hits != 1 {
		t.Errorf("with private addresses allowed, %d requests arrived, want 1", hits)
	}
}

func TestTheClientFollowsNoRedirect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
	}))
	defer srv.Close()
	res, err := netguard.Policy{AllowPrivate: true}.Client(5*time.Second).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Errorf("status %d, want the 302 itself", res.StatusCode)
	}
}
