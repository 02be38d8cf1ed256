package ingest

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

type fakeThresholds struct {
	mu   sync.Mutex
	seen []string
}

func (f *fakeThresholds) Telemetry(_ context.Context, t event.Telemetry, dev *registry.Device) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, dev.ID)
}

// TestTelemetryIsJudged: every accepted sample that is a sign of life, over
// MQTT or from a driver, goes to the thresholds; a refused one, or one that
// is history only, does not.
func TestTelemetryIsJudged(t *testing.T) {
	r := newRig(t)
	th := &fakeThresholds{}
	r.in.cfg.Thresholds = th
	if err := r.handle(t, "gridwatch/v1/dev/lb-1/tel", `{"mains": false, "battery_v": 11.2}`); err != nil {
		t.Fatal(err)
	}
	_ = r.handle(t, "gridwatch/v1/dev/lb-2/tel", `{"mains": [false]}`) // refused: not flat
	_ = r.handle(t, "gridwatch/v1/dev/nobody/tel", `{"mains": false}`) // refused: unregistered
	e := r.edge(t, TransportModbus)
	e.Telemetry(event.Telemetry{Device: "lb-2", Fields: map[string]any{"mains": false}, Received: r.now.UnixMilli()})
	e.Telemetry(event.Telemetry{Device: "lb-1", Fields: map[string]any{"mains": false}}) // history only
	if want := []string{"lb-1", "lb-2"}; !slices.Equal(th.seen, want) {
		t.Errorf("judged %v, want %v", th.seen, want)
	}
}
