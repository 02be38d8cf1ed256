package broker

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/gateway/passwd"
)

// recorder is the ingest stand-in: every message the broker hands over.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Handle(_ context.Context, topic string, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, topic+" "+string(payload))
	return nil
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// securityBroker runs a broker with credentials required: lb-0001 and
// lb-0002 (devices, from the registry stand-in, with password hashes) and
// wang (a staff member). users can be changed while it runs.
type securityBroker struct {
	b     *Broker
	addr  string
	in    *recorder
	reg   *prometheus.Registry
	users atomic.Pointer[map[string]string] // user → hash
}

func newSecurityBroker(t *testing.T) *securityBroker {
	t.Helper()
	sb := &securityBroker{addr: freeAddr(t), in: &recorder{}, reg: prometheus.NewRegistry()}
	hashes := map[string]string{}
	for _, u := range []string{"lb-0001", "lb-0002", "wang"} {
		h, err := passwd.Hash("pw-" + u)
		if err != nil {
			t.Fatal(err)
		}
		hashes[u] = h
	}
	sb.users.Store(&hashes)
	sb.b, _ = startBroker(t, Config{
		Listen: sb.addr, Handler: sb.in, TopicRoot: "gridwatch/v1", Registerer: sb.reg,
		Credentials: func(u string) (string, bool) { h, ok := (*sb.users.Load())[u]; return h, ok },
	})
	return sb
}

// refused returns gridwatch_broker_refused_total{reason}.
func (sb *securityBroker) refused(reason string) float64 {
	return testutil.ToFloat64(sb.b.metrics.refused.WithLabelValues(reason))
}

// gone waits until the broker holds no client id (its will, if any, is
// sent before the client is dropped).
func (sb *securityBroker) gone(t *testing.T, id string) {
	t.Helper()
	waitFor(t, func() bool { _, ok := sb.b.server.Clients.Get(id); return !ok })
}

// retained returns the retained message on topic, if any.
func (sb *securityBroker) retained(topic string) (string, bool) {
	pk, ok := sb.b.server.Topics.Retained.Get(topic)
	return string(pk.Payload), ok
}

// TestWillMustPassTheACL is hole 1: a client with valid credentials set a
// will on topics it may not publish to, dropped its connection, and the
// broker published the will: a panic for a box nobody pressed, an alarm
// resolved "by wang", a fake alarm retained on the board. Now the CONNECT
// is refused ("not authorised") and nothing reaches ingest, subscribers or
// the retained store.
func TestWillMustPassTheACL(t *testing.T) {
	sb := newSecurityBroker(t)
	// The people who would be fooled: wang's phone on its own topics,
	// lb-0002's owner on lb-0002's, the board on the alarms.
	watchers := map[string]*mosqSub{
		"wang":    startSub(t, sb.addr, "-i", "phone-wang", "-u", "wang", "-P", "pw-wang", "-t", "gridwatch/v1/staff/wang/#", "-v"),
		"lb-0002": startSub(t, sb.addr, "-i", "lb-0002", "-u", "lb-0002", "-P", "pw-lb-0002", "-t", "gridwatch/v1/dev/lb-0002/#", "-v"),
		"board":   startSub(t, sb.addr, "-i", "board", "-u", "wang", "-P", "pw-wang", "-t", "gridwatch/v1/alarms/#", "-v"),
	}
	for name, w := range watchers {
		if !w.connected() {
			t.Fatalf("watcher %s could not connect:\n%s", name, w.output())
		}
	}
	for _, tc := range []struct {
		name, topic, payload string
		retain               bool
	}{
		{"resolve as wang", "gridwatch/v1/staff/wang/reply", `{"alarm_id":"A-1","action":"resolve"}`, false},
		{"press another box", "gridwatch/v1/dev/lb-0002/evt", `{"type":"button.pressed","seq":1}`, false},
		{"fake alarm on the board", "gridwatch/v1/alarms/A-FAKE", `{"id":"A-FAKE","severity":"red"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := sb.refused("will")
			args := []string{"-i", "evil-" + strings.ReplaceAll(tc.name, " ", "-"), "-u", "lb-0001", "-P", "pw-lb-0001",
				"--will-topic", tc.topic, "--will-payload", tc.payload, "--will-qos", "1", "-t", "x"}
			if tc.retain {
				args = append(args, "--will-retain")
			}
			evil := startSub(t, sb.addr, args...)
			if evil.connected() {
				evil.kill(t)
				sb.gone(t, "evil-"+strings.ReplaceAll(tc.name, " ", "-"))
				t.Errorf("a client whose will is on %s was let in", tc.topic)
			} else if len(evil.lines("not authorised")) == 0 {
				t.Errorf("refused, but not with \"not authorised\":\n%s", evil.output())
			}
			time.Sleep(200 * time.Millisecond) // let a will that was published reach the watchers
			for _, m := range sb.in.seen() {
				if strings.HasPrefix(m, tc.topic+" ") || strings.Contains(m, tc.payload) {
					t.Errorf("the will reached ingest: %s", m)
				}
			}
			if p, ok := sb.retained(tc.topic); ok {
				t.Errorf("the will is retained on %s: %s", tc.topic, p)
			}
			for name, w := range watchers {
				if ls := w.lines(tc.payload); len(ls) > 0 {
					t.Errorf("watcher %s got the will: %v", name, ls)
				}
			}
			if got := sb.refused("will"); got != before+1 {
				t.Errorf("refused_total{reason=will} = %v, want %v", got, before+1)
			}
		})
	}
}

// TestOwnWillStillWorks: a device's own will (its retained "offline"
// state) passes, reaches ingest and is retained.
func TestOwnWillStillWorks(t *testing.T) {
	sb := newSecurityBroker(t)
	dev := startSub(t, sb.addr, "-i", "lb-0001", "-u", "lb-0001", "-P", "pw-lb-0001",
		"--will-topic", "gridwatch/v1/dev/lb-0001/state", "--will-payload", `{"online":false}`, "--will-retain", "--will-qos", "1",
		"-t", "gridwatch/v1/dev/lb-0001/cmd")
	if !dev.connected() {
		t.Fatalf("a device with its own will was refused:\n%s", dev.output())
	}
	dev.kill(t)
	sb.gone(t, "lb-0001")
	waitFor(t, func() bool { return len(sb.in.seen()) > 0 })
	if got := sb.in.seen(); len(got) != 1 || got[0] != `gridwatch/v1/dev/lb-0001/state {"online":false}` {
		t.Errorf("ingest got %q, want the device's offline state", got)
	}
	if p, ok := sb.retained("gridwatch/v1/dev/lb-0001/state"); !ok || p != `{"online":false}` {
		t.Errorf("retained state = %q (%v), want the offline will", p, ok)
	}
}

// TestWillCheckedAgainWhenSent: a device removed from the registry while
// connected has its will dropped (logged, counted) when it goes away.
func TestWillCheckedAgainWhenSent(t *testing.T) {
	sb := newSecurityBroker(t)
	dev := startSub(t, sb.addr, "-i", "lb-0002", "-u", "lb-0002", "-P", "pw-lb-0002",
		"--will-topic", "gridwatch/v1/dev/lb-0002/evt", "--will-payload", `{"type":"button.pressed","seq":9}`,
		"-t", "gridwatch/v1/dev/lb-0002/cmd")
	if !dev.connected() {
		t.Fatalf("refused:\n%s", dev.output())
	}
	users := map[string]string{}
	for u, h := range *sb.users.Load() {
		if u != "lb-0002" {
			users[u] = h
		}
	}
	sb.users.Store(&users) // the registry reloaded without lb-0002
	dev.kill(t)
	sb.gone(t, "lb-0002")
	if got := sb.in.seen(); len(got) != 0 {
		t.Errorf("ingest got the will of a removed device: %q", got)
	}
	if got := sb.refused("will_at_send"); got != 1 {
		t.Errorf("refused_total{reason=will_at_send} = %v, want 1", got)
	}
}

// testutilValue returns gridwatch_broker_refused_total{reason} of b.
func testutilValue(b *Broker, reason string) float64 {
	return testutil.ToFloat64(b.metrics.refused.WithLabelValues(reason))
}
