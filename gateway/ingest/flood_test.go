package ingest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// count returns how many journaled events are dev:typ.
func (r *rig) count(dev, typ string) int {
	n := 0
	for _, s := range r.journal.types() {
		if s == dev+":"+typ {
			n++
		}
	}
	return n
}

func (r *rig) shed(c class) int {
	return int(testutil.ToFloat64(r.in.metrics.shedVec.WithLabelValues(c.String())))
}

// TestFloodShedsTelemetryFirstNeverPanics floods a device's telemetry and
// events (budget 5/s, burst 10): its telemetry is shed, its events keep
// the reserve the telemetry could not take, and its panic and duress
// presses are still journaled, as are the other device's messages.
func TestFloodShedsTelemetryFirstNeverPanics(t *testing.T) {
	tests := []struct {
		name  string
		flood func(r *rig)
	}{
		{"telemetry flood", func(r *rig) {
			for range 1000 {
				_ = r.handle(t, r.topics.Telemetry("lb-1"), `{"temp_c":31.5}`)
			}
		}},
		{"event flood", func(r *rig) {
			for range 1000 {
				_ = r.handle(t, r.topics.Event("lb-1"), `{"type":"motion"}`)
			}
		}},
		{"telemetry, presence and event flood", func(r *rig) {
			for range 300 {
				_ = r.handle(t, r.topics.Telemetry("lb-1"), `{"temp_c":31.5}`)
				_ = r.handle(t, r.topics.State("lb-1"), `online`)
				_ = r.handle(t, r.topics.Event("lb-1"), `{"type":"motion"}`)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			tt.flood(r)
			if r.rejected(event.RateLimited) == 0 {
				t.Fatal("nothing was rate limited")
			}
			for _, typ := range []string{event.ButtonPressed, event.ButtonDuress} {
				if err := r.handle(t, r.topics.Event("lb-1"), `{"type":"`+typ+`"}`); err != nil {
					t.Fatal(err)
				}
				if r.count("lb-1", typ) != 1 {
					t.Errorf("the flooding device's %s was not journaled: %v", typ, r.journal.types())
				}
			}
			if err := r.handle(t, r.topics.Event("lb-2"), `{"type":"button.pressed"}`); err != nil || r.count("lb-2", event.ButtonPressed) != 1 {
				t.Errorf("the other device's press was not journaled (%v)", err)
			}
			before := len(r.devs.tel)
			if err := r.handle(t, r.topics.Telemetry("lb-2"), `{"temp_c":20}`); err != nil || len(r.devs.tel) != before+1 {
				t.Errorf("the other device's telemetry was not taken (%v)", err)
			}
			if r.shed(classPanic) != 0 {
				t.Errorf("panic presses shed: %d", r.shed(classPanic))
			}
		})
	}
}

// TestTelemetryCannotTakeTheEventReserve: a telemetry flood leaves the
// device half its burst for events.
func TestTelemetryCannotTakeTheEventReserve(t *testing.T) {
	r := newRig(t) // burst 10: telemetry may take 5
	for range 100 {
		_ = r.handle(t, r.topics.Telemetry("lb-1"), `{"temp_c":31.5}`)
	}
	if got := len(r.devs.tel); got != 5 {
		t.Errorf("telemetry taken %d, want 5 (half the burst)", got)
	}
	for range 5 {
		_ = r.handle(t, r.topics.Event("lb-1"), `{"type":"tamper.open"}`)
	}
	if got := r.count("lb-1", event.TamperOpen); got != 5 {
		t.Errorf("events after a telemetry flood: %d journaled, want the 5 of the reserve", got)
	}
	if got := r.shed(classTelemetry); got != 95 {
		t.Errorf("telemetry shed %d, want 95", got)
	}
}

// TestFloodFlaggedOncePerEpisode: a flood journals one device.flooding
// (from the gateway), however long it lasts; after the device has stayed
// within budget for the quiet time, a new flood is a new episode.
func TestFloodFlaggedOncePerEpisode(t *testing.T) {
	r := newRig(t)
	flood := func() {
		for range 200 {
			_ = r.handle(t, r.topics.Telemetry("lb-1"), `{"temp_c":31.5}`)
			_ = r.handle(t, r.topics.Event("lb-1"), `{"type":"motion"}`)
		}
	}
	flood()
	for range 10 { // still flooding, minute after minute
		r.now = r.now.Add(time.Minute)
		flood()
	}
	if got := r.count("lb-1", event.DeviceFlooding); got != 1 {
		t.Fatalf("device.flooding journaled %d times during one flood, want 1", got)
	}
	i := slices.IndexFunc(r.journal.events, func(e event.Event) bool { return e.Type == event.DeviceFlooding })
	ev := r.journal.events[i]
	if ev.Source != event.SourceGateway || ev.Device != "lb-1" || ev.Data["class"] == nil || ev.TS != ev.Received {
		t.Errorf("device.flooding = %+v, want a gateway-derived event of lb-1", ev)
	}
	if r.count("lb-2", event.DeviceFlooding) != 0 {
		t.Error("the quiet device was flagged")
	}

	// Quiet, but not for long enough: the same episode.
	r.now = r.now.Add(DefaultFloodQuiet / 2)
	flood()
	if got := r.count("lb-1", event.DeviceFlooding); got != 1 {
		t.Fatalf("a flood resumed within the quiet time raised again (%d)", got)
	}
	r.now = r.now.Add(DefaultFloodQuiet + time.Second)
	_ = r.handle(t, r.topics.Event("lb-1"), `{"type":"motion"}`) // within budget
	flood()
	if got := r.count("lb-1", event.DeviceFlooding); got != 2 {
		t.Fatalf("a new flood after the quiet time: %d device.flooding, want 2", got)
	}
	if got := testutil.ToFloat64(r.in.metrics.flagged); got != 2 {
		t.Errorf("gridwatch_ingest_devices_flagged_total = %v, want 2", got)
	}
}

func TestFloodFlagRetriedWhenNotJournaled(t *testing.T) {
	r := newRig(t)
	r.journal.fail = errors.New("disk full")
	for range 50 {
		_ = r.handle(t, r.topics.Telemetry("lb-1"), `{"temp_c":31.5}`)
	}
	r.journal.fail = nil
	_ = r.handle(t, r.topics.Telemetry("lb-1"), `{"temp_c":31.5}`)
	if got := r.count("lb-1", event.DeviceFlooding); got != 1 {
		t.Fatalf("device.flooding journaled %d times once the journal was back, want 1", got)
	}
}

func TestDeviceCannotSendDeviceFlooding(t *testing.T) {
	r := newRig(t)
	if err := r.handle(t, r.topics.Event("lb-1"), `{"type":"device.flooding"}`); err != nil {
		t.Fatal(err)
	}
	if r.count("lb-1", event.DeviceFlooding) != 0 || r.rejected(event.BadType) != 1 {
		t.Errorf("a device's own device.flooding was taken: %v", r.journal.types())
	}
}

// TestStaffRepliesAreBudgeted: a phone spewing replies is refused beyond
// the budget, and nothing is journaled for it (staff are not devices).
func TestStaffRepliesAreBudgeted(t *testing.T) {
	r := newRig(t) // burst 10
	for range 100 {
		_ = r.handle(t, r.topics.Reply("wang"), `{"alarm_id":"A1","action":"ack"}`)
	}
	if got := len(r.replies.acts); got != 10 {
		t.Errorf("replies taken %d, want the burst of 10", got)
	}
	if got := r.rejected(event.RateLimited); got != 90 {
		t.Errorf("rate limited %d, want 90", got)
	}
	if len(r.journal.types()) != 0 {
		t.Errorf("journal: %v, want nothing (staff are not devices)", r.journal.types())
	}
}
