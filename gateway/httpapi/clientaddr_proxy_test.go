package httpapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
)

// dialFrom is an HTTP transport whose connections leave from the loopback
// address ip (127.0.0.0/8 is all loopback on Linux), so that one test
// host plays several clients and a proxy.
func dialFrom(ip string) *http.Transport {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
}

// TestLoginThroughARealProxy runs the API on a TCP listener behind a real
// reverse proxy (net/http/httputil, which appends the client's address to
// X-Forwarded-For as nginx's $proxy_add_x_forwarded_for does) connecting
// from 127.0.0.2, the one trusted proxy. An attacker at 127.0.0.3 fails
// six logins through the proxy, each time writing a fresh address in
// X-Forwarded-For itself: it is locked out, nobody else is, and the audit
// lines name 127.0.0.3. A client at 127.0.0.5 talking to the API directly
// with a header naming the good client is keyed by its own address.
func TestLoginThroughARealProxy(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot use 127.0.0.2 on this host: %v", err)
	}
	probe.Close()
	ls := newLoginSite(t, func(c *Config) { c.TrustedProxies = []string{"127.0.0.2"} })
	api := httptest.NewServer(ls.s.Handler())
	defer api.Close()
	target, _ := url.Parse(api.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = dialFrom("127.0.0.2")
	proxy := httptest.NewServer(rp)
	defer proxy.Close()

	login := func(base, from, user, password, xff string) int {
		t.Helper()
		r, err := http.NewRequest("POST", base+"/api/v1/session", strings.NewReader(fmt.Sprintf(`{"user":%q,"password":%q}`, user, password)))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/json")
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		c := &http.Client{Transport: dialFrom(from)}
		defer c.CloseIdleConnections()
		resp, err := c.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 6 {
		login(proxy.URL, "127.0.0.3", fmt.Sprintf("user%d", i), "wrong", fmt.Sprintf("198.51.100.%d", i))
	}
	if code := login(proxy.URL, "127.0.0.3", "ma", liPassword, "198.51.100.99"); code != 429 {
		t.Errorf("the attacker through the proxy with a fresh header: %d, want 429", code)
	}
	if code := login(proxy.URL, "127.0.0.4", "ma", liPassword, ""); code != 200 {
		t.Errorf("another client through the same proxy: %d, want 200", code)
	}
	if len(ls.logs.Lines("audit=true", "reason="+refusedLogin, "remote=127.0.0.3")) == 0 {
		t.Errorf("no failed-login audit line names the attacker 127.0.0.3:\n%s", strings.Join(ls.logs.Lines("audit=true"), "\n"))
	}
	if lines := ls.logs.Lines("audit=true", "remote=127.0.0.2"); len(lines) != 0 {
		t.Errorf("audit lines name the proxy: %q", lines)
	}

	// Directly, the header is nobody's word: 127.0.0.5 is locked by its
	// own failures, and the address it names is not.
	for i := range 6 {
		login(api.URL, "127.0.0.5", fmt.Sprintf("user%d", i), "wrong", "127.0.0.6")
	}
	if code := login(api.URL, "127.0.0.5", "ma", liPassword, "127.0.0.7"); code != 429 {
		t.Errorf("the direct client with another header: %d, want 429", code)
	}
	if lines := ls.logs.Lines("audit=true", "remote=127.0.0.6"); len(lines) != 0 {
		t.Errorf("audit lines name the address a direct client wrote: %q", lines)
	}
	if code := login(proxy.URL, "127.0.0.6", "ma", liPassword, ""); code != 200 {
		t.Errorf("the client the direct one named: %d, want 200", code)
	}
}
