package httpapi

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestClientAddrResolution: the client is the TCP peer unless the peer is
// a trusted proxy; then it is the rightmost X-Forwarded-For hop that is
// not a trusted proxy. What a client writes in the header itself never
// moves its address.
func TestClientAddrResolution(t *testing.T) {
	trusted := []string{"10.0.0.0/8", "127.0.0.1", "fd00::/8"}
	cases := []struct {
		name    string
		proxies []string
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies: the peer", nil, "203.0.113.7:5000", nil, "203.0.113.7"},
		{"no proxies: a header is ignored", nil, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"direct client spoofs the header", trusted, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"direct client claims to be a trusted proxy", trusted, "203.0.113.7:5000", []string{"10.0.0.1"}, "203.0.113.7"},
		{"trusted proxy, one hop", trusted, "10.0.0.2:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted proxy without a header: the proxy", trusted, "10.0.0.2:443", nil, "10.0.0.2"},
		{"client's own hop left of the real one is ignored", trusted, "10.0.0.2:443", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"walk past trusted hops", trusted, "127.0.0.1:443", []string{"192.0.2.9, 198.51.100.1, 10.1.1.1, 10.2.2.2"}, "198.51.100.1"},
		{"several header lines read as one list", trusted, "10.0.0.2:443", []string{"6.6.6.6, 198.51.100.1", "192.0.2.50"}, "192.0.2.50"},
		{"several header lines, trusted last line", trusted, "10.0.0.2:443", []string{"6.6.6.6, 198.51.100.1", "10.9.9.9, 10.0.0.3"}, "198.51.100.1"},
		{"only trusted hops: the leftmost", trusted, "10.0.0.2:443", []string{"10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"garbage hop stops at the trusted hop right of it", trusted, "10.0.0.2:443", []string{"198.51.100.1, not-an-ip"}, "10.0.0.2"},
		{"garbage further left is never read", trusted, "10.0.0.2:443", []string{"<script>, 198.51.100.1"}, "198.51.100.1"},
		{"empty hops skipped", trusted, "10.0.0.2:443", []string{"198.51.100.1, ,"}, "198.51.100.1"},
		{"hop with a port", trusted, "10.0.0.2:443", []string{"198.51.100.1:4711"}, "198.51.100.1"},
		{"IPv6 hop keyed by its /64", trusted, "10.0.0.2:443", []string{"[2001:db8:1:2:aaaa::1]:4711"}, "2001:db8:1:2::/64"},
		{"IPv6 trusted proxy", trusted, "[fd00::1]:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv4-mapped peer matches an IPv4 proxy", trusted, "[::ffff:10.0.0.2]:443", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv4-mapped hop read as IPv4", trusted, "10.0.0.2:443", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"IPv6 direct client keyed by its /64", trusted, "[2001:db8::5]:5000", []string{"198.51.100.1"}, "2001:db8::/64"},
		{"not from a TCP listener", trusted, "pipe", []string{"198.51.100.1"}, "pipe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps, err := parseProxies(c.proxies)
			if err != nil {
				t.Fatal(err)
			}
			s := &Server{proxies: ps}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientAddr(r); got != c.want {
				t.Errorf("clientAddr = %q, want %q", got, c.want)
			}
		})
	}
}

func TestParseTrustedProxy(t *testing.T) {
	good := map[string]string{
		"10.0.0.0/8": "10.0.0.0/8", "10.1.2.3/8": "10.0.0.0/8", "127.0.0.1": "127.0.0.1/32",
		"::1": "::1/128", "fd00::/8": "fd00::/8", "::ffff:10.0.0.0/104": "10.0.0.0/8",
	}
	for in, want := range good {
		p, err := ParseTrustedProxy(in)
		if err != nil || p.String() != want {
			t.Errorf("ParseTrustedProxy(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"", "nginx.lan", "10.0.0.0/33", "192.168.1.300", "10.0.0.1:80", "fe80::1%eth0", "*"} {
		if _, err := ParseTrustedProxy(in); err == nil {
			t.Errorf("ParseTrustedProxy(%q) accepted", in)
		}
	}
	if _, err := New(testConfig(newFakeDesk(), func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8", "nginx"} })); err == nil ||
		!strings.Contains(err.Error(), `"nginx"`) {
		t.Errorf("New with a bad trusted proxy: %v", err)
	}
}

// TestLoginThrottleBehindProxy: behind a trusted proxy, failed logins are
// counted against the address the proxy forwards for, so one attacker's
// failures lock out only that attacker, and the audit line names the
// attacker, not the proxy. A client that is no trusted proxy cannot move
// its address by writing the header: its lockout holds whatever it says.
func TestLoginThrottleBehindProxy(t *testing.T) {
	const proxy = "10.0.0.2:40000"
	ls := newLoginSite(t, func(c *Config) { c.TrustedProxies = []string{"10.0.0.2"} })
	try := func(user, password, peer string, xff ...string) int {
		t.Helper()
		q := req{method: "POST", path: "/api/v1/session", addr: peer,
			body: fmt.Sprintf(`{"user":%q,"password":%q}`, user, password)}
		r := httptest.NewRequest(q.method, q.path, strings.NewReader(q.body))
		r.Host, r.RemoteAddr = "localhost", q.addr
		r.Header.Set("Content-Type", "application/json")
		for _, v := range xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		rec := httptest.NewRecorder()
		ls.s.Handler().ServeHTTP(rec, r)
		return rec.Code
	}
	// An attacker behind the proxy guesses six users' passwords.
	for i := range 6 {
		try(fmt.Sprintf("user%d", i), "wrong", proxy, "198.51.100.66")
	}
	if code := try("ma", liPassword, proxy, "198.51.100.66"); code != 429 {
		t.Errorf("the attacker's next login: %d, want 429 (its address is locked)", code)
	}
	// Everyone else behind the same proxy still logs in.
	if code := try("ma", liPassword, proxy, "198.51.100.7"); code != 200 {
		t.Errorf("another client behind the proxy: %d, want 200 (not locked by the attacker's failures)", code)
	}
	if lines := ls.logs.Lines("audit=true", "reason="+refusedLogin, "remote=198.51.100.66"); len(lines) == 0 {
		t.Errorf("no audit line names the attacker's forwarded address; audit lines:\n%s",
			strings.Join(ls.logs.Lines("audit=true"), "\n"))
	}
	if lines := ls.logs.Lines("audit=true", "remote=10.0.0.2"); len(lines) != 0 {
		t.Errorf("audit lines name the proxy: %q", lines)
	}
	if lines := ls.logs.Lines("http api: login", "user=ma", "remote=198.51.100.7"); len(lines) != 1 {
		t.Errorf("the login's audit line does not name the forwarded client: %q", ls.logs.Lines("http api: login"))
	}

	// A direct client is no trusted proxy: its header is ignored, both
	// ways — it cannot escape its own lockout, nor lock out the address
	// it names.
	const direct = "203.0.113.9:1234"
	for i := range 6 {
		try(fmt.Sprintf("user%d", i), "wrong", direct, fmt.Sprintf("192.0.2.%d", i))
	}
	if code := try("ma", liPassword, direct, "192.0.2.200"); code != 429 {
		t.Errorf("a locked direct client with a fresh X-Forwarded-For: %d, want 429", code)
	}
	if lines := ls.logs.Lines("audit=true", "remote=192.0.2."); len(lines) != 0 {
		t.Errorf("audit lines name an address a direct client wrote: %q", lines)
	}
	if code := try("ma", liPassword, proxy, "192.0.2.0"); code != 200 {
		t.Errorf("the address the direct client named: %d, want 200 (not locked by a spoofed header)", code)
	}
}

// TestLoginThrottleNoTrustedProxies: with no trusted proxies (the
// default) every request through a proxy is the proxy's, and the header
// changes nothing.
func TestLoginThrottleNoTrustedProxies(t *testing.T) {
	ls := newLoginSite(t, nil)
	for i := range 6 {
		r := httptest.NewRequest("POST", "/api/v1/session", strings.NewReader(fmt.Sprintf(`{"user":"user%d","password":"x"}`, i)))
		r.Host, r.RemoteAddr = "localhost", "10.0.0.2:1"
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
		ls.s.Handler().ServeHTTP(httptest.NewRecorder(), r)
	}
	r := httptest.NewRequest("POST", "/api/v1/session", strings.NewReader(fmt.Sprintf(`{"user":"ma","password":%q}`, liPassword)))
	r.Host, r.RemoteAddr = "localhost", "10.0.0.2:1"
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Forwarded-For", "198.51.100.99")
	rec := httptest.NewRecorder()
	ls.s.Handler().ServeHTTP(rec, r)
	if rec.Code != 429 {
		t.Errorf("login from the untrusted proxy after six failures: %d, want 429", rec.Code)
	}
	if lines := ls.logs.Lines("audit=true", "remote=198.51.100."); len(lines) != 0 {
		t.Errorf("audit lines believe an untrusted header: %q", lines)
	}
}
