package devices

import (
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
)

func TestStateTransitions(t *testing.T) {
	type step struct {
		name   string
		do     func(*Tracker)
		state  string
		seen   int64
		notify bool
	}
	seen := func(at int64) func(*Tracker) { return func(tr *Tracker) { tr.Seen("lb-1", at) } }
	presence := func(online bool, at int64) func(*Tracker) {
		return func(tr *Tracker) { tr.Presence(event.Presence{Device: "lb-1", Online: online, At: at}) }
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"seen once then again", []step{
			{"first message", seen(1000), Online, 1000, true},
			{"second message", seen(2000), Online, 2000, false},
			{"late message keeps the newest time", seen(1500), Online, 2000, false},
		}},
		{"will then back", []step{
			{"message", seen(1000), Online, 1000, true},
			{"offline statement", presence(false, 1200), Offline, 1000, true},
			{"message older than the will", seen(1100), Offline, 1100, false},
			{"message after the will", seen(1300), Online, 1300, true},
		}},
		{"stale will ignored", []step{
			{"message", seen(2000), Online, 2000, true},
			{"will older than the last message", presence(false, 1900), Online, 2000, false},
		}},
		{"retained offline before anything", []step{
			{"offline statement", presence(false, 500), Offline, 0, true},
			{"online statement", presence(true, 600), Online, 600, true},
			{"online statement again", presence(true, 700), Online, 700, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, _, ch := newTracker(t, "lb-1", "lb-2")
			if st := mustGet(t, tr, "lb-1"); st.State != Unknown || st.LastSeenMS != 0 {
				t.Fatalf("before anything: got %+v, want unknown never seen", st)
			}
			for _, s := range tt.steps {
				s.do(tr)
				st := mustGet(t, tr, "lb-1")
				if st.State != s.state || st.LastSeenMS != s.seen {
					t.Errorf("%s: got state %s seen %d, want %s seen %d", s.name, st.State, st.LastSeenMS, s.state, s.seen)
				}
				got := ch.take()
				if s.notify != (len(got) == 1) || len(got) > 1 {
					t.Errorf("%s: onChange called %d times, want notify=%v", s.name, len(got), s.notify)
				}
				if len(got) == 1 && (got[0].State != s.state || got[0].Version != st.Version) {
					t.Errorf("%s: onChange got %+v, want state %s version %d", s.name, got[0], s.state, st.Version)
				}
			}
			if st := mustGet(t, tr, "lb-2"); st.State != Unknown {
				t.Errorf("the other device: got %s, want unknown", st.State)
			}
		})
	}
}

func TestTelemetry(t *testing.T) {
	tr, _, ch := newTracker(t, "lb-1")
	tr.Telemetry(event.Telemetry{Device: "lb-1", TS: 900, Received: 1000, Fields: map[string]any{"battery_v": 12.4}})
	st := mustGet(t, tr, "lb-1")
	if st.State != Online || st.LastSeenMS != 1000 || st.TelemetryMS != 900 || st.Telemetry["battery_v"] != 12.4 {
		t.Fatalf("after telemetry: got %+v", st)
	}
	got := ch.take()
	if len(got) != 1 || got[0].Telemetry["battery_v"] != 12.4 || got[0].Kind != "lightbox" || got[0].Grid != "g1" || got[0].Name != "灯箱lb-1" || !got[0].Registered {
		t.Fatalf("onChange: got %+v, want one status with telemetry and registry details", got)
	}

	// A newer sample replaces the fields and is reported, state unchanged.
	tr.Telemetry(event.Telemetry{Device: "lb-1", TS: 1900, Received: 2000, Fields: map[string]any{"battery_v": 12.1}})
	if got := ch.take(); len(got) != 1 || got[0].Telemetry["battery_v"] != 12.1 {
		t.Fatalf("second sample: onChange got %+v", got)
	}
	// An older sample (reordered) counts as seen but does not replace.
	tr.Telemetry(event.Telemetry{Device: "lb-1", TS: 1500, Received: 2500, Fields: map[string]any{"battery_v": 9.0}})
	st = mustGet(t, tr, "lb-1")
	if st.Telemetry["battery_v"] != 12.1 || st.TelemetryMS != 1900 || st.LastSeenMS != 2500 {
		t.Fatalf("older sample: got %+v", st)
	}
	if got := ch.take(); len(got) != 0 {
		t.Fatalf("older sample: onChange got %+v, want nothing", got)
	}
	// No device time: the receive time stands in.
	tr.Telemetry(event.Telemetry{Device: "lb-1", Received: 3000, Fields: map[string]any{"mains": true}})
	if st := mustGet(t, tr, "lb-1"); st.TelemetryMS != 3000 || st.Telemetry["mains"] != true {
		t.Fatalf("sample without ts: got %+v", st)
	}
	// Telemetry from an id the registry does not hold is not tracked here.
	tr.Telemetry(event.Telemetry{Device: "ghost", Received: 3000})
	if _, ok := tr.Get("ghost"); ok {
		t.Fatal("telemetry of an unregistered id made it known")
	}
}

func TestSweep(t *testing.T) {
	tr, _, ch := newTracker(t, "lb-1", "lb-2", "lb-3")
	tr.Seen("lb-1", 10_000)
	tr.Seen("lb-2", 12_000)
	ch.take()
	// Heartbeat 10 s: offline only after more than 15 s of silence.
	if n := tr.Sweep(25_000); n != 0 {
		t.Fatalf("sweep at exactly 1.5 intervals: %d declared offline, want 0", n)
	}
	if n := tr.Sweep(25_001); n != 1 {
		t.Fatalf("sweep just past 1.5 intervals: %d declared offline, want 1", n)
	}
	got := ch.take()
	if len(got) != 1 || got[0].ID != "lb-1" || got[0].State != Offline {
		t.Fatalf("onChange: got %+v, want lb-1 offline", got)
	}
	if st := mustGet(t, tr, "lb-2"); st.State != Online {
		t.Errorf("lb-2: got %s, want online", st.State)
	}
	if st := mustGet(t, tr, "lb-3"); st.State != Unknown {
		t.Errorf("lb-3 (never heard): got %s, want unknown", st.State)
	}
	if n := tr.Sweep(100_000); n != 1 {
		t.Fatalf("second sweep: %d, want 1 (lb-2 only; lb-1 is already offline)", n)
	}
	tr.Seen("lb-1", 100_500)
	if st := mustGet(t, tr, "lb-1"); st.State != Online {
		t.Errorf("lb-1 heard again: got %s, want online", st.State)
	}
}

func TestRejected(t *testing.T) {
	tr, _, ch := newTracker(t, "lb-1")
	tr.Rejected("lb-1")
	tr.Rejected("lb-1")
	if st := mustGet(t, tr, "lb-1"); st.Rejected != 2 || st.State != Unknown {
		t.Errorf("registered: got %+v, want 2 rejected, still unknown", st)
	}
	tr.Rejected("nobody") // neither registered nor heard of: dropped
	if _, ok := tr.Get("nobody"); ok {
		t.Error("Rejected made an unheard-of id known")
	}
	tr.Unregistered("stray", "gridwatch/v1/dev/stray/evt", 100)
	tr.Rejected("stray")
	st := mustGet(t, tr, "stray")
	if st.Rejected != 2 || st.State != Unregistered || st.Registered || st.Topic != "gridwatch/v1/dev/stray/evt" || st.LastSeenMS != 100 {
		t.Errorf("unregistered: got %+v", st)
	}
	if got := ch.take(); len(got) != 1 || got[0].ID != "stray" || got[0].State != Unregistered {
		t.Errorf("onChange: got %+v, want only the new unregistered id", got)
	}
	tr.Unregistered("stray", "gridwatch/v1/dev/stray/tel", 200)
	if got := ch.take(); len(got) != 0 {
		t.Errorf("second message of a known stray: onChange got %+v, want nothing", got)
	}
	if st := mustGet(t, tr, "stray"); st.Topic != "gridwatch/v1/dev/stray/tel" || st.LastSeenMS != 200 || st.Rejected != 3 {
		t.Errorf("stray after second message: got %+v", st)
	}
}

func TestNilRegistryAndCallback(t *testing.T) {
	tr := New(nil, nil)
	tr.Seen("a", 1)
	tr.Telemetry(event.Telemetry{Device: "a"})
	tr.Presence(event.Presence{Device: "a"})
	tr.Unregistered("b", "t", 1)
	tr.Sweep(1 << 40)
	got := tr.List()
	if len(got) != 1 || got[0].ID != "b" || got[0].State != Unregistered {
		t.Fatalf("List: got %+v, want just the unregistered id", got)
	}
}
