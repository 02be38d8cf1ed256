package app_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestPhoneAwayFallsBackToSMS: wang's phone app is connected and gets the
// page over MQTT only; the security room's is not, so its page falls back
// to the SMS gateway (configured as one block, with a JSON body template),
// which fails once and is retried by the outbox: one SMS, to the right
// number, and the alarm's timeline says so.
func TestPhoneAwayFallsBackToSMS(t *testing.T) {
	type sms struct{ To, Text string }
	var mu sync.Mutex
	var calls int
	var got []sms
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusBadGateway) // the provider hiccups once
			return
		}
		if r.Header.Get("X-Api-Key") != "k-123" {
			t.Errorf("api key header = %q", r.Header.Get("X-Api-Key"))
		}
		var m sms
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("sms body: %v", err)
		}
		got = append(got, m)
		_, _ = w.Write([]byte(`{"result":{"code":0}}`))
	}))
	defer srv.Close()

	s := startSite(t, siteOptions{mutate: func(c *config.Config) {
		c.SMS = config.SMS{URL: srv.URL + "/send", Body: `{"to": {{json .Phone}}, "text": {{json .Text}}}`,
			Headers: map[string]string{"X-Api-Key": "k-123", "Content-Type": "application/json"},
			Check:   &config.SMSCheck{Field: "result.code", Equals: "0"}}
	}})
	phones := s.phones("wang") // room1's app is not connected
	s.press(s.client("lb-0001", true, nil), "lb-0001", 1)
	testsvc.Eventually(t, wait, "wang paged over MQTT", func() bool { return len(phones["wang"].all()) == 1 })
	id := phones["wang"].all()[0].AlarmID
	testsvc.Eventually(t, 30*time.Second, "an SMS to the security room", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 1
	})
	time.Sleep(500 * time.Millisecond) // nothing more arrives
	mu.Lock()
	if len(got) != 1 || got[0].To != "13800000005" || !strings.Contains(got[0].Text, id) {
		t.Errorf("SMS sent: %+v, want one to 13800000005 naming %s", got, id)
	}
	mu.Unlock()
	var a alarm.Alarm
	s.getJSON("/api/v1/alarms/"+id, &a)
	var fb []alarm.Entry
	for _, e := range a.Timeline {
		if e.Kind == alarm.EntryFallback {
			fb = append(fb, e)
		}
	}
	if len(fb) != 1 || fb[0].By != "room1" || fb[0].Channel != "sms" {
		t.Errorf("fallback timeline entries %+v, want one for room1 by sms", fb)
	}
	if m := s.metrics(); !strings.Contains(m, `gridwatch_deliveries_total{channel="sms",outcome="ok"} 1`) {
		t.Errorf("sms delivery not counted:\n%s", grepLines(m, "gridwatch_deliveries_total"))
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestStaffChannelOrder: wang prefers SMS (`channels: [sms, app]`): though
// the app is connected, the page goes by SMS and not to the app. When the
// SMS gateway is not configured, the same person falls back to the app.
func TestStaffChannelOrder(t *testing.T) {
	var mu sync.Mutex
	var texts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var m struct{ To string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		texts = append(texts, m.To)
	}))
	defer srv.Close()
	prefersSMS := strings.Replace(siteRegistry, `grids: [lh-g4-07], phone: "13800000001"}`, `grids: [lh-g4-07], phone: "13800000001", channels: [sms, app]}`, 1)
	for _, withSMS := range []bool{true, false} {
		s := startSite(t, siteOptions{mutate: func(c *config.Config) {
			if err := os.WriteFile(c.Registry, []byte(prefersSMS), 0o600); err != nil {
				t.Fatal(err)
			}
			if withSMS {
				c.SMS = config.SMS{URL: srv.URL, Body: `{"to": {{json .Phone}}}`}
			}
		}})
		phones := s.phones("wang")
		s.press(s.client("lb-0001", true, nil), "lb-0001", 1)
		if withSMS {
			testsvc.Eventually(t, 30*time.Second, "an SMS to wang", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return slices.Contains(texts, "13800000001")
			})
			time.Sleep(500 * time.Millisecond)
			if n := len(phones["wang"].all()); n != 0 {
				t.Errorf("wang prefers SMS but the app got %d pages too", n)
			}
		} else {
			testsvc.Eventually(t, wait, "wang paged in the app when there is no SMS gateway", func() bool { return len(phones["wang"].all()) == 1 })
		}
		s.stop()
	}
}
