package httpapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestSessionCookieUnderTLS logs in over real HTTPS: the cookie is
// Secure, HttpOnly, SameSite=Strict and carries the __Host- prefix, and a
// client with a cookie jar then uses the API with it.
func TestSessionCookieUnderTLS(t *testing.T) {
	certFile, keyFile, cert := testsvc.SelfSignedCert(t, t.TempDir(), "gw")
	s := newServer(t, testConfig(newFakeDesk(redAlarm(), otherCellAlarm()), func(c *Config) {
		c.TLSCert, c.TLSKey = certFile, keyFile
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
	base := "https://" + ln.Addr().String()
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Timeout: patience, Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	resp, err := client.Post(base+"/api/v1/session", "application/json", strings.NewReader(`{"user":"li","password":"`+liPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login over HTTPS: %d", resp.StatusCode)
	}
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("%d cookies, want 1", len(cookies))
	}
	c := cookies[0]
	raw := resp.Header.Get("Set-Cookie")
	if c.Name != cookieTLS || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("cookie under TLS: %s; want __Host-gridwatch_session; Path=/; HttpOnly; Secure; SameSite=Strict", raw)
	}
	u, _ := url.Parse(base)
	if got := jar.Cookies(u); len(got) != 1 {
		t.Fatalf("the jar holds %d cookies for %s, want 1", len(got), base)
	}
	resp, err = client.Get(base + "/api/v1/alarms")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the API with the session cookie over HTTPS: %d", resp.StatusCode)
	}
}
