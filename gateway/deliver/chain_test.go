package deliver

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

func TestChainFallsBack(t *testing.T) {
	tests := []struct {
		name    string
		first   *fakeChannel
		outcome string
	}{
		{"first fails permanently", &fakeChannel{name: "mqtt", script: []error{Permanent(errors.New("no session"))}}, outcomePermanent},
		{"first fails", &fakeChannel{name: "mqtt", script: []error{errFlaky}}, outcomeError},
		{"first times out", &fakeChannel{name: "mqtt", block: true}, outcomeTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				second := &fakeChannel{name: "sms"}
				m := newMetrics(t)
				var by []string
				c, err := NewChain(ChainConfig{Channels: []Channel{tt.first, second}, Timeout: 3 * time.Second, Metrics: m,
					Delivered: func(_ string, _ event.Notification, ch string) { by = append(by, ch) }})
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				if err := c.Send(t.Context(), "wang", note("a1")); err != nil {
					t.Fatalf("Send = %v", err)
				}
				if len(second.Calls()) != 1 || strings.Join(by, ",") != "sms" {
					t.Errorf("second channel calls = %d, delivered by %v; want 1 and [sms]", len(second.Calls()), by)
				}
				if tt.first.block && time.Since(start) != 3*time.Second {
					t.Errorf("fell back after %v, want the 3s timeout", time.Since(start))
				}
				if count(m, "mqtt", tt.outcome) != 1 || count(m, "sms", outcomeOK) != 1 {
					t.Errorf("deliveries mqtt/%s=%v sms/ok=%v, want 1 and 1", tt.outcome, count(m, "mqtt", tt.outcome), count(m, "sms", outcomeOK))
				}
				if c.Name() != "mqtt>sms" {
					t.Errorf("Name = %q", c.Name())
				}
			})
		})
	}
}

func TestChainStopsAtFirstSuccess(t *testing.T) {
	first, second := &fakeChannel{name: "mqtt"}, &fakeChannel{name: "sms"}
	c, err := NewChain(ChainConfig{Channels: []Channel{first, second}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(t.Context(), "wang", note("a1")); err != nil {
		t.Fatal(err)
	}
	if len(first.Calls()) != 1 || len(second.Calls()) != 0 {
		t.Errorf("calls mqtt=%d sms=%d, want 1 and 0", len(first.Calls()), len(second.Calls()))
	}
}

func TestChainFailure(t *testing.T) {
	perm := Permanent(errors.New("gone"))
	tests := []struct {
		name      string
		first     error
		second    error
		permanent bool
	}{
		{"all permanent", perm, perm, true},
		{"one permanent one transient", perm, errFlaky, false},
		{"all transient", errFlaky, errFlaky, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewChain(ChainConfig{Channels: []Channel{
				&fakeChannel{name: "mqtt", script: []error{tt.first}},
				&fakeChannel{name: "sms", script: []error{tt.second}},
			}})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Send(t.Context(), "wang", note("a1"))
			if err == nil || IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), "sms:") {
				t.Errorf("Send = %v (permanent %v), want a failure naming sms with permanent=%v", err, IsPermanent(err), tt.permanent)
			}
		})
	}
}

func TestNewChainBadConfig(t *testing.T) {
	if _, err := NewChain(ChainConfig{}); err == nil || !strings.Contains(err.Error(), "no channels") {
		t.Errorf("NewChain without channels = %v", err)
	}
	if _, err := NewChain(ChainConfig{Channels: []Channel{&fakeChannel{}}}); err == nil || !strings.Contains(err.Error(), "no name") {
		t.Errorf("NewChain with a nameless channel = %v", err)
	}
}

// mqttDown is a Notifier (like the gateway's MQTT pager) whose broker is gone.
type mqttDown struct{}

func (mqttDown) Notify(_ context.Context, _ string, _ event.Notification) error {
	return errors.New("not connected")
}

func TestChainBehindOutboxFallsBackToRealSMS(t *testing.T) {
	g := &smsGateway{answer: `{"result":{"code":0}}`}
	srv := httptest.NewServer(g)
	defer srv.Close()
	m := newMetrics(t)
	var by []string
	c, err := NewChain(ChainConfig{Channels: []Channel{FromNotifier("mqtt", mqttDown{}), newSMS(t, srv.URL, nil)}, Metrics: m,
		Delivered: func(_ string, _ event.Notification, ch string) { by = append(by, ch) }})
	if err != nil {
		t.Fatal(err)
	}
	o := openOutbox(t, t.TempDir(), Config{Channel: c, Metrics: m})
	stop := running(t, o)
	if err := o.Notify(t.Context(), "wang", note("a1")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "delivery", func() bool { return o.Pending() == 0 })
	stop()
	if strings.Join(by, ",") != "sms" {
		t.Errorf("delivered by %v, want [sms]", by)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !strings.Contains(g.body, `"alarm":"a1"`) {
		t.Errorf("SMS gateway got %q", g.body)
	}
	if count(m, "mqtt", outcomeError) != 1 || count(m, "sms", outcomeOK) != 1 || count(m, "mqtt>sms", outcomeOK) != 1 {
		t.Errorf("deliveries mqtt/error=%v sms/ok=%v chain/ok=%v, want 1 each",
			count(m, "mqtt", outcomeError), count(m, "sms", outcomeOK), count(m, "mqtt>sms", outcomeOK))
	}
}
