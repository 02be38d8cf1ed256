package httpapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/internal/testlog"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestHostGuard sends forged Host headers to a real listener: with auth
// off only loopback names on the listener's own port (and the configured
// extra names) are served; the rest get 421 and are counted.
func TestHostGuard(t *testing.T) {
	type req struct {
		host string // "%p" stands for the listener's port
		want int
	}
	tests := []struct {
		name    string
		auth    bool
		allowed []string
		reqs    []req
	}{
		{"auth off: loopback names only", false, nil, []req{
			{"localhost:%p", 200},
			{"LOCALHOST:%p", 200},
			{"127.0.0.1:%p", 200},
			{"127.0.0.2:%p", 200},
			{"[::1]:%p", 200},
			{"evil.example:%p", 421},
			{"evil.example", 421},
			{"localhost.evil.example:%p", 421},
			{"127.0.0.1.nip.io:%p", 421},
			{"localhost:1", 421},
			{"192.168.1.10:%p", 421},
			{"", 421},
		}},
		{"auth off with allowed_hosts", false, []string{"gw.lianhua.lan"}, []req{
			{"gw.lianhua.lan:%p", 200},
			{"gw.lianhua.lan", 200},
			{"localhost:%p", 200},
			{"evil.example:%p", 421},
		}},
		{"auth on: any host (a bearer token is no cookie: rebinding gains nothing)", true, nil, []req{
			{"evil.example:%p", 200},
			{"localhost:%p", 200},
		}},
		{"auth on with allowed_hosts", true, []string{"gw.lianhua.lan"}, []req{
			{"gw.lianhua.lan", 200},
			{"evil.example:%p", 421},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, testConfig(newFakeDesk(redAlarm()), func(c *Config) {
				c.Auth, c.AllowedHosts = tt.auth, tt.allowed
			}))
			ts := startServer(t, s)
			_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
			refused := 0
			for _, r := range tt.reqs {
				host := strings.ReplaceAll(r.host, "%p", port)
				for _, path := range []string{"/api/v1/alarms", "/"} {
					code, body := rawGet(t, ts.Listener.Addr().String(), path, host, wangToken)
					if code != r.want {
						t.Errorf("GET %s Host %q: got %d %s, want %d", path, host, code, body, r.want)
					}
					if code == 421 {
						refused++
						if !strings.Contains(body, "DNS rebinding") {
							t.Errorf("Host %q: 421 body %q does not say why", host, body)
						}
					}
				}
			}
			if got := testutil.ToFloat64(s.metrics.hostRefused); got != float64(refused) {
				t.Errorf("gridwatch_http_host_refused_total = %v, want %d", got, refused)
			}
		})
	}
}

// rawGet sends one request with exactly the Host header given (net/http's
// client would not send an empty one).
func rawGet(t *testing.T, addr, path, host, token string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(patience))
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+host+"\r\nAuthorization: Bearer "+token+"\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	status, rest, _ := strings.Cut(string(b), "\r\n")
	f := strings.Fields(status)
	if len(f) < 2 {
		t.Fatalf("no status line in %q", b)
	}
	_, body, _ := strings.Cut(rest, "\r\n\r\n")
	code, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("status line %q", status)
	}
	return code, body
}

// TestStreamSlotsPerUser fills one staff member's stream slots: the next
// stream of that token is refused with 429 and counted, while another
// staff member still connects, and a freed slot can be taken again.
func TestStreamSlotsPerUser(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), func(c *Config) { c.StreamsPerUser = 2 }))
	ts := startServer(t, s)

	var bodies []io.Closer
	for range 2 {
		events, resp := openStream(t, ts.URL, wangToken)
		next(t, events, "hello")
		bodies = append(bodies, resp.Body)
	}
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+wangToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == 200 { // a stream: its body never ends
		resp.Body.Close()
		t.Fatal("third stream of wang: got 200, want 429")
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), "wang already has 2 live streams open") {
		t.Fatalf("third stream of wang: got %d %s, want 429 saying why", resp.StatusCode, b)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if got := testutil.ToFloat64(s.metrics.streamRefused.WithLabelValues(refusedPerUser)); got != 1 {
		t.Errorf("stream refused per_user = %v, want 1", got)
	}

	events, _ := openStream(t, ts.URL, zhaoToken) // another person is not held up
	next(t, events, "hello")

	bodies[0].Close()
	waitFor(t, "wang's closed stream to free its slot", func() bool { return s.hub.n.Load() == 2 })
	events, _ = openStream(t, ts.URL, wangToken)
	next(t, events, "hello")
}

// TestStreamSlotsAuthOff: with auth off there is no person to count
// against, so streams beyond streams_per_user are served (up to the
// global cap).
func TestStreamSlotsAuthOff(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), func(c *Config) { c.StreamsPerUser = 1; c.Auth = false }))
	ts := startServer(t, s)
	for range 3 {
		events, _ := openStream(t, ts.URL, "")
		next(t, events, "hello")
	}
}

// TestServeTLS serves HTTPS with a generated certificate: a real HTTPS
// client that trusts it gets the API over TLS 1.2+, a client offering
// only TLS 1.1 and a plain-HTTP request to the same port get nothing.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, cert := testsvc.SelfSignedCert(t, t.TempDir(), "gw")
	var logs testlog.Buffer
	s := newServer(t, testConfig(newFakeDesk(redAlarm()), func(c *Config) {
		c.TLSCert, c.TLSKey = certFile, keyFile
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	addr := ln.Addr().String()

	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Timeout: patience, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", "https://"+addr+"/api/v1/alarms", nil)
	req.Header.Set("Authorization", "Bearer "+wangToken)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("HTTPS request: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "A0001") {
		t.Fatalf("HTTPS GET alarms: %d %s", resp.StatusCode, b)
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("connection state %+v, want TLS 1.2 or newer", resp.TLS)
	}

	old := &http.Client{Timeout: patience, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	if resp, err := old.Get("https://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("a TLS 1.1 client was served")
	}

	resp, err = http.Get("http://" + addr + "/api/v1/alarms")
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 || strings.Contains(string(b), "A0001") {
			t.Fatalf("plain HTTP to the TLS port was answered: %d %s", resp.StatusCode, b)
		}
	}
	if strings.Contains(logs.String(), "INSECURE") {
		t.Errorf("warned about clear text although TLS is on: %s", logs.String())
	}
}

// TestCertRenewalPickedUp replaces the certificate files and checks that
// the next handshake after the recheck interval presents the new one, and
// that a broken renewal keeps the old one.
func TestCertRenewalPickedUp(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, first := testsvc.SelfSignedCert(t, dir, "gw")
	now := time.Now()
	src, err := newCertSource(certFile, keyFile, slog.New(slog.DiscardHandler), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	serial := func() *big.Int {
		c, _ := src.get(nil)
		return c.Leaf.SerialNumber
	}
	if serial().Cmp(first.SerialNumber) != 0 {
		t.Fatal("not the first certificate")
	}
	_, _, second := testsvc.SelfSignedCert(t, dir, "gw") // same file names
	later := time.Now().Add(time.Second)
	_ = os.Chtimes(certFile, later, later)
	if serial().Cmp(first.SerialNumber) != 0 {
		t.Error("reloaded before the recheck interval")
	}
	now = now.Add(certRecheck + time.Second)
	if serial().Cmp(second.SerialNumber) != 0 {
		t.Fatal("renewed certificate not picked up")
	}
	if err := os.WriteFile(keyFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(keyFile, later.Add(time.Second), later.Add(time.Second))
	now = now.Add(certRecheck + time.Second)
	if serial().Cmp(second.SerialNumber) != 0 {
		t.Fatal("a broken renewal replaced the working certificate")
	}
}

func TestNewRefusesBadTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := testsvc.SelfSignedCert(t, dir, "gw")
	otherCert, _, _ := testsvc.SelfSignedCert(t, dir, "other")
	tests := []struct {
		name, cert, key, want string
	}{
		{"cert without key", certFile, "", "both a certificate and a key"},
		{"missing file", filepath.Join(dir, "nope.crt"), keyFile, "nope.crt"},
		{"key of another cert", otherCert, keyFile, "private key does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(testConfig(newFakeDesk(), func(c *Config) { c.TLSCert, c.TLSKey = tt.cert, tt.key }))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestWarnsClearTextOnNetwork: auth on a network listener without TLS is
// allowed (a LAN behind a TLS proxy) but said loudly at start.
func TestWarnsClearTextOnNetwork(t *testing.T) {
	var logs testlog.Buffer
	s := newServer(t, testConfig(newFakeDesk(), func(c *Config) {
		c.Loopback = false
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Serve(ctx, publicListener{ln}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "INSECURE") {
		t.Fatalf("no loud warning about clear-text tokens on 192.168.1.10: %q", logs.String())
	}
}

// TestStreamOverHTTP2 opens the stream as a browser would over HTTPS
// (HTTP/2) and checks that it outlives the server's write timeout.
func TestStreamOverHTTP2(t *testing.T) {
	certFile, keyFile, cert := testsvc.SelfSignedCert(t, t.TempDir(), "gw")
	s := newServer(t, testConfig(newFakeDesk(), func(c *Config) { c.TLSCert, c.TLSKey = certFile, keyFile }))
	s.limits.read, s.limits.write = 200*time.Millisecond, 200*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequest("GET", "https://"+ln.Addr().String()+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+wangToken)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
		t.Fatalf("stream over %s: %d", resp.Proto, resp.StatusCode)
	}
	events := readEvents(resp.Body)
	next(t, events, "hello")
	time.Sleep(600 * time.Millisecond) // well past the read and write timeouts
	s.PublishAlarm(redAlarm())
	next(t, events, "alarm")
}
