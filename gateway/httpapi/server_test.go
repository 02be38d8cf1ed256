package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestNewRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"auth off on a public listener", func(c *Config) { c.Auth, c.Loopback = false, false }, "loopback"},
		{"short token", func(c *Config) { c.Tokens = map[string]string{"wang": "short"} }, "too short"},
		{"token with a space", func(c *Config) { c.Tokens = map[string]string{"wang": "0123456789 abcdefgh"} }, "spaces"},
		{"shared token", func(c *Config) { c.Tokens = map[string]string{"wang": wangToken, "zhao": wangToken} }, "share one token"},
		{"bad staff id", func(c *Config) { c.Tokens = map[string]string{"wang li": wangToken} }, "not a valid staff id"},
		{"no desk", func(c *Config) { c.Alarms = nil }, "Alarms is nil"},
		{"no devices", func(c *Config) { c.Devices = nil }, "Devices is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(testConfig(newFakeDesk(), tt.mod))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: got %v, want an error saying %q", err, tt.want)
			}
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		_, err := New(Config{Auth: true})
		for _, want := range []string{"Alarms is nil", "Devices is nil"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("New: got %v, want it to say %q", err, want)
			}
		}
	})
	t.Run("auth on without tokens closes the API but serves health", func(t *testing.T) {
		s, err := New(testConfig(newFakeDesk(), func(c *Config) { c.Tokens = nil }))
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		for path, want := range map[string]int{"/api/v1/alarms": 401, "/healthz": 200} {
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if rec.Code != want {
				t.Errorf("GET %s: %d, want %d", path, rec.Code, want)
			}
		}
	})
	t.Run("auth off on loopback is fine", func(t *testing.T) {
		if _, err := New(testConfig(newFakeDesk(), func(c *Config) { c.Auth, c.Tokens = false, nil })); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("metrics registered twice", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		cfg := testConfig(newFakeDesk(), func(c *Config) { c.Registerer = reg })
		if _, err := New(cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "register metrics") {
			t.Fatalf("second New on one registry: got %v, want a registration error", err)
		}
	})
}

func TestHealthReadyMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	var notReady error
	s := newServer(t, testConfig(newFakeDesk(), func(c *Config) {
		c.Registerer = reg
		c.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		c.Ready = func() error { return notReady }
	}))
	h := s.Handler()

	tests := []struct {
		name, path string
		ready      error
		code       int
		body       string
	}{
		{"healthz", "/healthz", nil, 200, "ok\n"},
		{"ready", "/readyz", nil, 200, "ready\n"},
		{"not ready", "/readyz", errors.New("broker not connected"), 503, "not ready: broker not connected\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			notReady = tt.ready
			code, body, _ := call(t, h, "GET", tt.path, "", "", "")
			if code != tt.code || body != tt.body {
				t.Fatalf("GET %s: got %d %q, want %d %q", tt.path, code, body, tt.code, tt.body)
			}
		})
	}
	code, body, _ := call(t, h, "GET", "/metrics", "", "", "")
	if code != 200 || !strings.Contains(body, `gridwatch_http_requests_total{code="503",route="GET /readyz"} 1`) {
		t.Fatalf("GET /metrics (no token needed): got %d, body lacks the readyz count:\n%s", code, body)
	}
}

func TestNoMetricsHandler(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	if code, _, _ := call(t, s.Handler(), "GET", "/metrics", "", "", ""); code != 404 {
		t.Fatalf("GET /metrics without a handler: got %d, want 404", code)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(redAlarm()), nil))
	h := s.Handler()
	tests := []struct {
		method, path string
		code         int
		allow, msg   string
	}{
		{"PUT", "/api/v1/alarms", 405, "GET, HEAD", "method PUT not allowed"},
		{"DELETE", "/api/v1/alarms/A0001", 405, "GET, HEAD", "method DELETE not allowed"},
		{"GET", "/api/v1/alarms/A0001/ack", 405, "POST", "method GET not allowed"},
		{"POST", "/api/v1/devices", 405, "GET, HEAD", "method POST not allowed"},
		{"GET", "/api/v1/nothing", 404, "", "no such endpoint: GET /api/v1/nothing"},
		{"GET", "/api/v2/alarms", 404, "", "no such endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			code, body, hdr := call(t, h, tt.method, tt.path, wangToken, "", "")
			if code != tt.code || !strings.Contains(body, `"error":"`+tt.msg) || hdr.Get("Allow") != tt.allow {
				t.Fatalf("got %d %s (Allow %q), want %d with error %q (Allow %q)", code, body, hdr.Get("Allow"), tt.code, tt.msg, tt.allow)
			}
			if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
		})
	}
}

func TestConsole(t *testing.T) {
	for _, auth := range []bool{true, false} {
		s := newServer(t, testConfig(newFakeDesk(), func(c *Config) { c.Auth = auth }))
		h := s.Handler()
		code, body, hdr := call(t, h, "GET", "/", "", "", "")
		want := `data-auth="` + onOff(auth) + `"`
		if code != 200 || !strings.Contains(body, want) || !strings.Contains(body, `id="alarm-rows"`) {
			t.Fatalf("auth %v: GET /: got %d, want the page with %s", auth, code, want)
		}
		if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET /: Content-Security-Policy %q", csp)
		}
	}
	h := newServer(t, testConfig(newFakeDesk(), nil)).Handler()
	for _, tt := range []struct {
		path, ctype, has string
		code             int
	}{
		{"/console/console.js", "text/javascript", "EventSource", 200},
		{"/console/console.css", "text/css", "--red", 200},
		{"/console/plan.js", "text/javascript", "renderPlan", 200},
		{"/console/i18n.js", "text/javascript", "export function t(", 200},
		{"/console/..%2fconsole.go", "", "", 404},
		{"/console/index.html", "", "", 404},
		{"/console/nope.js", "", "", 404},
		{"/favicon.ico", "", "", 404},
	} {
		code, body, hdr := call(t, h, "GET", tt.path, "", "", "")
		if code != tt.code || !strings.HasPrefix(hdr.Get("Content-Type"), tt.ctype) || !strings.Contains(body, tt.has) {
			t.Errorf("GET %s: got %d %s, want %d %s holding %q", tt.path, code, hdr.Get("Content-Type"), tt.code, tt.ctype, tt.has)
		}
	}
}

func TestMetricsCountAuthFailures(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	call(t, s.Handler(), "GET", "/api/v1/devices", "", "", "")
	call(t, s.Handler(), "GET", "/api/v1/devices", "wrong-token-0123456789", "", "")
	call(t, s.Handler(), "GET", "/api/v1/devices", wangToken, "", "")
	if got := testutil.ToFloat64(s.metrics.authFailures); got != 2 {
		t.Errorf("auth failures counted: %v, want 2", got)
	}
	if got := testutil.ToFloat64(s.metrics.requests.WithLabelValues("GET /api/v1/devices", "401")); got != 2 {
		t.Errorf("401s counted on the devices route: %v, want 2", got)
	}
	if got := testutil.ToFloat64(s.metrics.requests.WithLabelValues("GET /api/v1/devices", "200")); got != 1 {
		t.Errorf("200s counted on the devices route: %v, want 1", got)
	}
}

func TestErrorStatuses(t *testing.T) {
	m := ErrorStatuses(map[error]int{errNotFound: 404})
	if got := m(errors.Join(errors.New("x"), errNotFound)); got != 404 {
		t.Errorf("wrapped errNotFound: %d, want 404", got)
	}
	if got := m(errors.New("other")); got != 0 {
		t.Errorf("unknown error: %d, want 0", got)
	}
}

// TestMetricsToken: with http.metrics_token set, /metrics answers only the
// scraper's bearer token; a missing, wrong or staff token is a 401,
// counted by reason. The API's tokens do not open it, nor it the API.
func TestMetricsToken(t *testing.T) {
	const scrape = "scraper-token-0123456789"
	s := newServer(t, testConfig(newFakeDesk(), func(c *Config) {
		c.Metrics = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeText(w, 200, "metrics") })
		c.MetricsToken = scrape
	}))
	h := s.Handler()
	for name, tok := range map[string]string{"none": "", "wrong": "scraper-token-0123456780", "staff": wangToken} {
		if code, _, hdr := call(t, h, "GET", "/metrics", tok, "", ""); code != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("/metrics with %s token: %d, want 401 with WWW-Authenticate", name, code)
		}
	}
	if n := testutil.ToFloat64(s.metrics.refused.WithLabelValues(refusedMetricsToken)); n != 3 {
		t.Errorf("refused metrics_token = %v, want 3", n)
	}
	if code, body, _ := call(t, h, "GET", "/metrics", scrape, "", ""); code != 200 || strings.TrimSpace(body) != "metrics" {
		t.Errorf("/metrics with the scraper's token: %d %q", code, body)
	}
	if code, _, _ := call(t, h, "GET", "/api/v1/alarms", scrape, "", ""); code != http.StatusUnauthorized {
		t.Errorf("the scraper's token on the API: %d, want 401", code)
	}
}
