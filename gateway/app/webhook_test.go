package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/deliver"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestWebhookGetsEveryPageSigned: with webhook.url set, every page also
// goes to the webhook as signed JSON; the endpoint fails at first, and the
// outbox retries until it answers 2xx, delivering each page once.
func TestWebhookGetsEveryPageSigned(t *testing.T) {
	const secret = "grid-platform-shared-secret"
	var mu sync.Mutex
	var calls int
	got := map[string]int{} // staff -> deliveries
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the platform is down at first
			return
		}
		err := deliver.VerifySignature([]byte(secret), r.Header.Get(deliver.HeaderTimestamp),
			r.Header.Get(deliver.HeaderSignature), body, time.Now(), time.Minute)
		if err != nil {
			t.Errorf("bad signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var page deliver.WebhookBody
		if err := json.Unmarshal(body, &page); err != nil || page.Device != "lb-0001" || page.Step != 0 {
			t.Errorf("webhook body %s: %v", body, err)
		}
		got[page.Staff]++
	}))
	defer srv.Close()

	s := startSite(t, siteOptions{mutate: func(c *config.Config) {
		c.Webhook = config.Webhook{URL: srv.URL + "/hook", Secret: secret}
	}})
	phones := s.phones("wang")
	s.press(s.client("lb-0001", true, nil), "lb-0001", 1)
	testsvc.Eventually(t, wait, "the phone is paged", func() bool { return len(phones["wang"].all()) == 1 })
	testsvc.Eventually(t, 30*time.Second, "both pages at the webhook", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return got["wang"] == 1 && got["room1"] == 1
	})
	time.Sleep(500 * time.Millisecond) // nothing more arrives
	mu.Lock()
	defer mu.Unlock()
	if got["wang"] != 1 || got["room1"] != 1 || len(got) != 2 {
		t.Errorf("webhook deliveries %v, want wang and room1 once each", got)
	}
}
