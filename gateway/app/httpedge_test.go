package app_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/app"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestGatewayServesHTTPSFromConfig runs a gateway whose config file names
// http.tls and http.streams_per_user: the API answers over HTTPS only, and
// one token gets no more streams than configured.
func TestGatewayServesHTTPSFromConfig(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, cert := testsvc.SelfSignedCert(t, dir, "gw")
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	const token = "room1-token-0123456789"
	file := filepath.Join(dir, "gridwatch.yaml")
	yaml := "site: lianhua\ndata_dir: data\n" +
		"http:\n  listen: \"127.0.0.1:0\"\n  tokens: {room1: " + token + "}\n" +
		"  tls: {cert: " + filepath.Base(certFile) + ", key: " + filepath.Base(keyFile) + "}\n" +
		"  streams_per_user: 1\n" +
		"mqtt:\n  embedded: {listen: \"127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t)) + "\"}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(cfg, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("gateway did not stop")
		}
	})
	<-a.Started()
	addr := a.HTTPAddr()
	if addr == nil {
		t.Fatalf("gateway did not start: %v", <-done)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(c *http.Client, url string) (*http.Response, error) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return c.Do(req)
	}
	base := "https://" + addr.String()
	testsvc.Eventually(t, wait, "HTTPS API answers", func() bool {
		resp, err := get(client, base+"/api/v1/alarms")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200 && resp.TLS != nil && resp.TLS.Version >= tls.VersionTLS12
	})
	if resp, err := get(http.DefaultClient, "http://"+addr.String()+"/api/v1/alarms"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatalf("plain HTTP answered: %s", b)
		}
	}

	// One stream per person here: the second is refused.
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	req, _ := http.NewRequestWithContext(sctx, "GET", base+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	first, err := client.Do(req)
	if err != nil || first.StatusCode != 200 {
		t.Fatalf("first stream: %v %v", first, err)
	}
	defer first.Body.Close()
	second, err := get(client, base+"/api/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	if second.StatusCode == 200 { // a stream: its body never ends
		second.Body.Close()
		t.Fatal("second stream of room1: got 200, want 429")
	}
	b, _ := io.ReadAll(second.Body)
	second.Body.Close()
	if second.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), "room1") {
		t.Fatalf("second stream of room1: %d %s, want 429", second.StatusCode, b)
	}
}
