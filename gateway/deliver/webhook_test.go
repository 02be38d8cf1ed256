package deliver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

var secret = []byte("s3cret")

// receiver is a webhook endpoint answering from a script of statuses
// (200 once it runs out), verifying every request it gets.
type receiver struct {
	t *testing.T

	mu       sync.Mutex
	statuses []int
	requests int
	accepted []WebhookBody
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("read body: %v", err)
	}
	ts := r.Header.Get(HeaderTimestamp)
	if ts == "" {
		rc.t.Errorf("request without %s", HeaderTimestamp)
	}
	if err := VerifySignature(secret, ts, r.Header.Get(HeaderSignature), body, time.Now(), time.Minute); err != nil {
		rc.t.Errorf("signature: %v", err)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" || r.Method != http.MethodPost {
		rc.t.Errorf("got %s with Content-Type %q, want a JSON POST", r.Method, ct)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.requests++
	status := http.StatusOK
	if len(rc.statuses) > 0 {
		status, rc.statuses = rc.statuses[0], rc.statuses[1:]
	}
	if status/100 == 2 {
		var b WebhookBody
		if err := json.Unmarshal(body, &b); err != nil {
			rc.t.Errorf("body %s: %v", body, err)
		}
		rc.accepted = append(rc.accepted, b)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, http.StatusText(status))
}

func (rc *receiver) counts() (requests int, accepted []WebhookBody) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests, append([]WebhookBody(nil), rc.accepted...)
}

func newWebhook(t *testing.T, url string) *Webhook {
	t.Helper()
	w, err := NewWebhook(WebhookConfig{URL: url, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWebhookThroughOutboxFailsTwiceThenDeliversOnce(t *testing.T) {
	rc := &receiver{t: t, statuses: []int{http.StatusServiceUnavailable, http.StatusTooManyRequests}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	m := newMetrics(t)
	o := openOutbox(t, t.TempDir(), Config{Channel: newWebhook(t, srv.URL), Metrics: m,
		Backoff: Backoff{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond}})
	stop := running(t, o)
	if err := o.Notify(t.Context(), "wang", note("a1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "delivery", func() bool { return o.Pending() == 0 })
	stop() // nothing more can be sent
	requests, accepted := rc.counts()
	if requests != 3 || len(accepted) != 1 {
		t.Fatalf("requests = %d, accepted = %d; want 3 and 1", requests, len(accepted))
	}
	if b := accepted[0]; b.Staff != "wang" || b.AlarmID != "a1" || b.Severity != "red" || b.DeadlineMS != 61000 {
		t.Errorf("accepted body %+v", b)
	}
	if count(m, "webhook", "ok") != 1 || count(m, "webhook", "error") != 2 {
		t.Errorf("deliveries ok=%v error=%v, want 1 and 2", count(m, "webhook", "ok"), count(m, "webhook", "error"))
	}
}

func TestWebhookPermanentFailureIsDropped(t *testing.T) {
	rc := &receiver{t: t, statuses: []int{http.StatusBadRequest}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	m := newMetrics(t)
	o := openOutbox(t, t.TempDir(), Config{Channel: newWebhook(t, srv.URL), Metrics: m,
		Backoff: Backoff{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond}})
	stop := running(t, o)
	if err := o.Notify(t.Context(), "wang", note("a1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the drop", func() bool { return o.Pending() == 0 })
	stop()
	if requests, accepted := rc.counts(); requests != 1 || len(accepted) != 0 {
		t.Errorf("requests = %d, accepted = %d; want 1 and 0", requests, len(accepted))
	}
	if count(m, "webhook", outcomePermanent) != 1 || count(m, "webhook", outcomeDropped) != 1 {
		t.Errorf("deliveries permanent=%v dropped=%v, want 1 and 1",
			count(m, "webhook", outcomePermanent), count(m, "webhook", outcomeDropped))
	}
}

func TestWebhookStatusClasses(t *testing.T) {
	tests := []struct {
		status    int
		ok        bool
		permanent bool
	}{
		{200, true, false}, {204, true, false},
		{302, false, true}, {400, false, true}, {401, false, true}, {404, false, true},
		{408, false, false}, {429, false, false}, {500, false, false}, {503, false, false},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status/100 == 3 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			err := newWebhook(t, srv.URL).Send(t.Context(), "wang", note("a1"))
			if (err == nil) != tt.ok || IsPermanent(err) != tt.permanent {
				t.Errorf("Send on %d = %v (permanent %v), want ok=%v permanent=%v", tt.status, err, IsPermanent(err), tt.ok, tt.permanent)
			}
		})
	}
}

func TestVerifySignature(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"alarm_id":"a1"}`)
	good := Sign(secret, now.Unix(), body)
	tests := []struct {
		name, ts, sig string
		body          []byte
		key           []byte
		want          string
	}{
		{"good", "1700000000", good, body, secret, ""},
		{"tampered body", "1700000000", good, []byte(`{"alarm_id":"a2"}`), secret, "does not match"},
		{"wrong secret", "1700000000", good, body, []byte("other"), "does not match"},
		{"timestamp moved", "1700000001", good, body, secret, "does not match"},
		{"replayed later", "1699999000", Sign(secret, 1_699_999_000, body), body, secret, "replay"},
		{"no timestamp", "", good, body, secret, "bad X-Gridwatch-Timestamp"},
		{"no prefix", "1700000000", strings.TrimPrefix(good, "sha256="), body, secret, "does not start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature(tt.key, tt.ts, tt.sig, tt.body, now, 5*time.Minute)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("VerifySignature = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestNewWebhookBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  WebhookConfig
		want string
	}{
		{"no url", WebhookConfig{Secret: secret}, "no url"},
		{"not http", WebhookConfig{URL: "ftp://x/y", Secret: secret}, "want http"},
		{"no secret", WebhookConfig{URL: "https://example.org/hook"}, "no secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewWebhook(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewWebhook = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
