package rtpstream_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/rtpstream"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// recorder is a Sink that keeps what it is given.
type recorder struct {
	mu  sync.Mutex
	evs []event.Event
	tel []event.Telemetry
}

var _ edge.Sink = (*recorder)(nil)

func (r *recorder) Alive(string, time.Time) {}

func (r *recorder) Event(ev event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
}

func (r *recorder) Telemetry(t event.Telemetry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tel = append(r.tel, t)
}

// events returns the types (with data.reason where set) seen so far.
func (r *recorder) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.evs {
		s := ev.Type
		if reason, ok := ev.Data["reason"].(string); ok {
			s += ":" + reason
		}
		out = append(out, s)
	}
	return out
}

func (r *recorder) has(typ string) bool {
	for _, s := range r.events() {
		if s == typ {
			return true
		}
	}
	return false
}

func (r *recorder) lastTelemetry() (event.Telemetry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.tel) == 0 {
		return event.Telemetry{}, false
	}
	return r.tel[len(r.tel)-1], true
}

// run starts l in a goroutine owned by the test: cancelled and waited for
// when the test ends; an error from Run fails the test.
func run(t *testing.T, l *rtpstream.Listener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-l.Ready():
	case err := <-done:
		done <- err
		t.Fatalf("listener did not start: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("listener not bound within 20 s")
	}
}
