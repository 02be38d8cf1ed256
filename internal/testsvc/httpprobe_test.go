package testsvc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestProbeStatus: the probe passes only on the wanted status, and says
// which it got.
func TestProbeStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ping":
			w.WriteHeader(http.StatusNoContent)
		case "/healthz":
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	for _, c := range []struct {
		path    string
		want    int
		errWith string
	}{
		{"/ping", http.StatusNoContent, ""},
		{"/other", http.StatusOK, ""},
		{"/other", http.StatusNoContent, "GET /other: 200 OK, want 204"},
		{"/healthz", http.StatusOK, "GET /healthz: 503 Service Unavailable, want 200"},
	} {
		err := probeStatus(context.Background(), srv.Client(), srv.URL, c.path, c.want)
		if (err == nil) != (c.errWith == "") || err != nil && !strings.Contains(err.Error(), c.errWith) {
			t.Errorf("%s want %d: %v, want %q", c.path, c.want, err, c.errWith)
		}
	}
	srv.Close()
	if err := probeStatus(context.Background(), nil, srv.URL, "/ping", http.StatusNoContent); err == nil {
		t.Error("a closed server passed the probe")
	}
}
