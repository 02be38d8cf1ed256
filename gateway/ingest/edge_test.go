package ingest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/gateway/event"
)

type fakeLife struct {
	mu    sync.Mutex
	alive map[string]time.Time
}

func (l *fakeLife) Alive(id string, at time.Time) { l.mu.Lock(); l.alive[id] = at; l.mu.Unlock() }

// edgeMetric reads one of an Edge's counters by its label value.
func edgeMetric(t *testing.T, e *Edge, name, label string) int {
	t.Helper()
	switch name {
	case "rejected":
		return int(testutil.ToFloat64(e.m.rejectedVec.WithLabelValues(label)))
	case "shed":
		return int(testutil.ToFloat64(e.m.shedVec.WithLabelValues(label)))
	case "accepted":
		return int(testutil.ToFloat64(e.m.acceptedVec.WithLabelValues(label)))
	}
	return int(testutil.ToFloat64(e.m.flagged))
}

func (r *rig) edge(t *testing.T, transport string) *Edge {
	t.Helper()
	e, err := r.in.Edge(transport)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestEdgeFloodSpendsTheDeviceBudget: a device's events through a driver
// spend the same budget (5/s, burst 10) as its MQTT messages, are shed,
// counted under the driver's transport and flag the device once; its panic
// presses keep their own budget; another device is untouched.
func TestEdgeFloodSpendsTheDeviceBudget(t *testing.T) {
	for _, tc := range []struct {
		name      string
		transport string
		mqttFirst int // MQTT events lb-1 sent just before
		driver    int // then events through the driver
		journaled int // of lb-1's motion events
	}{
		{"osdp alone", TransportOSDP, 0, 100, 10},
		{"rtp alone", TransportRTP, 0, 100, 10},
		{"modbus after MQTT spent the burst", TransportModbus, 10, 100, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			e := r.edge(t, tc.transport)
			for range tc.mqttFirst {
				if err := r.handle(t, r.topics.Event("lb-1"), `{"type":"motion"}`); err != nil {
					t.Fatal(err)
				}
			}
			for range tc.driver {
				e.Event(event.Event{Device: "lb-1", Type: event.Motion, Source: event.Source(tc.transport)})
			}
			e.Event(event.Event{Device: "lb-1", Type: event.ButtonPressed, Source: event.Source(tc.transport)})
			e.Event(event.Event{Device: "lb-2", Type: event.Motion, Source: event.Source(tc.transport)})
			if n := r.count("lb-1", event.Motion); n != tc.journaled {
				t.Errorf("lb-1 motion journaled %d times, want %d (the burst)", n, tc.journaled)
			}
			if r.count("lb-1", event.ButtonPressed) != 1 || r.count("lb-2", event.Motion) != 1 {
				t.Errorf("a press of the flooding device or another device's event was lost: %v", r.journal.types())
			}
			if n := r.count("lb-1", event.DeviceFlooding); n != 1 {
				t.Errorf("device.flooding journaled %d times, want 1", n)
			}
			shed := tc.mqttFirst + tc.driver - tc.journaled
			if got := edgeMetric(t, e, "shed", "event"); got != shed {
				t.Errorf("rate_limited{transport=%s,class=event} = %d, want %d", tc.transport, got, shed)
			}
			if got := edgeMetric(t, e, "rejected", string(event.RateLimited)); got != shed {
				t.Errorf("rejected{transport=%s,reason=rate_limited} = %d, want %d", tc.transport, got, shed)
			}
			if got := edgeMetric(t, e, "flagged", ""); got != 1 {
				t.Errorf("devices_flagged{transport=%s} = %d, want 1", tc.transport, got)
			}
			if got := edgeMetric(t, e, "accepted", "evt") + r.accepted("evt"); got != tc.journaled+2 {
				t.Errorf("accepted events %d, want %d", got, tc.journaled+2)
			}
			if got := r.rejected(event.RateLimited); got != 0 {
				t.Errorf("MQTT counted %d of the driver's refusals", got)
			}
		})
	}
}

// TestEdgeDuplicates: an event a driver reports twice with the same seq
// and content is journaled once; the same seq with other content (a
// device that restarted its numbering) is a new event; past the window
// the same event counts again.
func TestEdgeDuplicates(t *testing.T) {
	r := newRig(t)
	e := r.edge(t, TransportOSDP)
	press := event.Event{Device: "lb-1", Type: event.ButtonPressed, TS: 1732345670000, Seq: 7, Source: event.SourceOSDP,
		Data: map[string]any{"reader": 1}}
	for range 3 {
		e.Event(press)
	}
	again := press
	again.TS += 5000
	e.Event(again)
	if got := r.count("lb-1", event.ButtonPressed); got != 2 {
		t.Errorf("journaled %d, want 2 (the original and the one after a restart)", got)
	}
	if got := edgeMetric(t, e, "rejected", string(event.Duplicate)); got != 2 {
		t.Errorf("duplicates{transport=osdp} = %d, want 2", got)
	}
	r.now = r.now.Add(2 * time.Minute)
	e.Event(press)
	if got := r.count("lb-1", event.ButtonPressed); got != 3 {
		t.Errorf("journaled %d after the window, want 3", got)
	}
	// Events without a seq are never taken for duplicates.
	for range 2 {
		e.Event(event.Event{Device: "lb-2", Type: event.TamperOpen, TS: 1732345670000})
	}
	if got := r.count("lb-2", event.TamperOpen); got != 2 {
		t.Errorf("events without seq journaled %d, want 2", got)
	}
}

// TestEdgeRefusesWhatMQTTRefuses: an unregistered device, a bad type and a
// device.flooding claim are refused and counted under the transport.
func TestEdgeRefusesWhatMQTTRefuses(t *testing.T) {
	r := newRig(t)
	e := r.edge(t, TransportModbus)
	e.Event(event.Event{Device: "io-9", Type: event.ButtonPressed})
	e.Telemetry(event.Telemetry{Device: "io-9", Received: 1})
	e.Event(event.Event{Device: "lb-1", Type: "Button Pressed"})
	e.Event(event.Event{Device: "lb-1", Type: event.DeviceFlooding})
	if n := len(r.journal.types()); n != 0 {
		t.Errorf("journaled %v", r.journal.types())
	}
	for reason, want := range map[event.Reason]int{event.UnknownDevice: 2, event.BadType: 2} {
		if got := edgeMetric(t, e, "rejected", string(reason)); got != want {
			t.Errorf("rejected{transport=modbus,reason=%s} = %d, want %d", reason, got, want)
		}
	}
	if r.devs.rejected["lb-1"] != 2 {
		t.Errorf("device lb-1's refusals not counted in its status: %v", r.devs.rejected)
	}
}

// TestEdgeEventsAreNotLifeButAliveIs: an event at the edge (a bus fault, a
// lost stream) is no sign of life; Alive is, for the status and the
// rules; telemetry is when something arrived, and goes to history always.
func TestEdgeEventsAreNotLifeButAliveIs(t *testing.T) {
	r := newRig(t)
	life := &fakeLife{alive: map[string]time.Time{}}
	r.in.cfg.Life = life
	e := r.edge(t, TransportRTP)
	e.Event(event.Event{Device: "lb-1", Type: event.VideoLoss})
	if r.devs.seen["lb-1"] != 0 || len(life.alive) != 0 {
		t.Errorf("an edge event counted as life: seen %v, alive %v", r.devs.seen, life.alive)
	}
	at := r.now.Add(-time.Second)
	e.Alive("lb-1", at)
	e.Alive("io-9", at) // not in the registry: ignored
	if r.devs.seen["lb-1"] != 1 || !life.alive["lb-1"].Equal(at) || len(life.alive) != 1 {
		t.Errorf("Alive: seen %v, alive %v", r.devs.seen, life.alive)
	}
	e.Telemetry(event.Telemetry{Device: "lb-2", TS: r.now.UnixMilli(), Fields: map[string]any{"rtp_up": false}})
	e.Telemetry(event.Telemetry{Device: "lb-2", TS: r.now.UnixMilli(), Received: at.UnixMilli(), Fields: map[string]any{"rtp_up": true}})
	if len(r.devs.tel) != 1 || r.devs.tel[0].Fields["rtp_up"] != true || r.tel.n != 2 {
		t.Errorf("telemetry: status got %v, history %d samples; want the one with Received, and both", r.devs.tel, r.tel.n)
	}
	if got := edgeMetric(t, e, "accepted", "tel"); got != 2 {
		t.Errorf("accepted{transport=rtp,kind=tel} = %d, want 2", got)
	}
}

func TestEdgeMetricsPerTransport(t *testing.T) {
	r := newRig(t)
	a, b := r.edge(t, TransportOSDP), r.edge(t, TransportOSDP)
	if a != b {
		t.Error("two Edges for one transport")
	}
	r.edge(t, TransportRTP)
	if _, err := r.in.Edge("mqtt"); err == nil {
		t.Error("an Edge took the MQTT transport's label")
	}
	mfs, err := r.prom.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var transports []string
	for _, mf := range mfs {
		if mf.GetName() != "gridwatch_ingest_devices_flagged_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				transports = append(transports, l.GetValue())
			}
		}
	}
	slices.Sort(transports)
	if !slices.Equal(transports, []string{"mqtt", "osdp", "rtp"}) {
		t.Errorf("transports %v", transports)
	}
}

func (r *rig) accepted(kind string) int {
	return int(testutil.ToFloat64(r.in.metrics.acceptedVec.WithLabelValues(kind)))
}
