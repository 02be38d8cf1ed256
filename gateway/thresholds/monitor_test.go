package thresholds

import (
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// step is one thing that happens in a hysteresis table: after wait, a
// sample of one field (or an event the device sent itself); want is the
// derived events journaled by it ("" for none).
type step struct {
	wait  time.Duration
	field string
	value any
	own   string // an event type the device sends itself instead of a sample
	want  string
}

func TestHysteresis(t *testing.T) {
	cases := []struct {
		name   string
		device string
		steps  []step
	}{
		{"battery wobbling at the edge raises once and clears at the clear level", "lb-fast", []step{
			{field: "battery_v", value: 11.6},
			{field: "battery_v", value: 11.4, want: "battery.low"},
			{field: "battery_v", value: 11.6},
			{field: "battery_v", value: 11.45},
			{field: "battery_v", value: 11.99},
			{field: "battery_v", value: 11.3},
			{field: "battery_v", value: 12.0, want: "battery.ok"},
			{field: "battery_v", value: 11.9},
			{field: "battery_v", value: 11.5},
			{field: "battery_v", value: 11.49, want: "battery.low"},
		}},
		{"the kind default holds 5 minutes both ways, judged on samples", "lb-default", []step{
			{field: "battery_v", value: 11.2},
			{wait: 4 * time.Minute, field: "battery_v", value: 11.2},
			{wait: 30 * time.Second, field: "battery_v", value: 11.7}, // back in the band: the hold starts again
			{wait: 30 * time.Second, field: "battery_v", value: 11.2},
			{wait: 4*time.Minute + 59*time.Second, field: "battery_v", value: 11.2},
			{wait: time.Second, field: "battery_v", value: 11.2, want: "battery.low"},
			{wait: time.Minute, field: "battery_v", value: 12.5},
			{wait: 5 * time.Minute, field: "battery_v", value: 12.5, want: "battery.ok"},
		}},
		{"a siren's sag shorter than the default hold raises nothing", "lb-default", []step{
			{field: "battery_v", value: 12.6},
			{wait: 10 * time.Second, field: "battery_v", value: 11.1},
			{wait: 60 * time.Second, field: "battery_v", value: 11.0},
			{wait: 60 * time.Second, field: "battery_v", value: 12.4},
			{wait: 10 * time.Minute, field: "battery_v", value: 12.5},
		}},
		{"mains false is lost, true restored, at once by default", "lb-default", []step{
			{field: "mains", value: true},
			{field: "mains", value: false, want: "power.mains_lost"},
			{field: "mains", value: false},
			{wait: time.Hour, field: "mains", value: false},
			{field: "mains", value: true, want: "power.mains_restored"},
			{field: "mains", value: true},
			{field: "mains", value: 0.0, want: "power.mains_lost"}, // 0 and 1 count as booleans
			{field: "mains", value: 1.0, want: "power.mains_restored"},
		}},
		{"a device's own levels replace its kind's", "lb-24v", []step{
			{field: "battery_v", value: 23.5},
			{field: "battery_v", value: 22.9, want: "battery.low"},
			{field: "battery_v", value: 23.9},
			{field: "battery_v", value: 24.1, want: "battery.ok"},
			{field: "mains", value: false, want: "power.mains_lost"}, // the kind's mains stays
		}},
		{"the registry's kind level applies to every device of the kind", "io-1", []step{
			{field: "battery_v", value: 11.4, want: "battery.low"},
			{field: "mains", value: false}, // io modules have no built-in mains threshold
		}},
		{"above with its own events and a hold", "lb-hot", []step{
			{field: "temp_c", value: 75.0},
			{wait: 30 * time.Second, field: "temp_c", value: 71.0},
			{wait: 30 * time.Second, field: "temp_c", value: 72.0, want: "temp.high"},
			{field: "temp_c", value: 65.0},
			{field: "temp_c", value: 60.0},
			{wait: time.Minute, field: "temp_c", value: 59.0, want: "temp.ok"},
		}},
		{"off takes the default away", "lb-nomains", []step{
			{field: "mains", value: false},
		}},
		{"cameras have no defaults", "cam-1", []step{
			{field: "mains", value: false},
			{field: "battery_v", value: 1.0},
		}},
		{"a value of the wrong type is skipped", "lb-fast", []step{
			{field: "mains", value: "off"},
			{field: "mains", value: 2.0},
			{field: "battery_v", value: true},
			{field: "battery_v", value: 11.0, want: "battery.low"},
		}},
		{"the device's own event wins: its telemetry adds nothing", "lb-default", []step{
			{own: "power.mains_lost"},
			{field: "mains", value: false},
			{own: "power.mains_restored"},
			{field: "mains", value: true},
			// It sent mains_lost itself before: a crossing waits for its own event ...
			{field: "mains", value: false},
			{wait: time.Minute, field: "mains", value: false},
			{wait: 30 * time.Second, own: "power.mains_lost"},
			{wait: time.Minute, field: "mains", value: false},
			// ... and raises without it, late, when it never comes.
			{own: "power.mains_restored"},
			{field: "mains", value: false},
			{wait: OwnGrace - time.Second, field: "mains", value: false},
			{wait: time.Second, field: "mains", value: false, want: "power.mains_lost"},
			// battery.ok it never sends itself: the telemetry clears what its own battery.low raised.
			{own: "battery.low"},
			{field: "battery_v", value: 11.0},
			{wait: 5 * time.Minute, field: "battery_v", value: 12.8},
			{wait: 5 * time.Minute, field: "battery_v", value: 12.8, want: "battery.ok"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, "")
			for i, s := range c.steps {
				f.now = f.now.Add(s.wait)
				before := len(f.j.derived())
				if s.own != "" {
					f.own(c.device, s.own)
				} else {
					f.tel(c.device, map[string]any{s.field: s.value})
				}
				got := f.j.derived()[before:]
				var want []string
				if s.want != "" {
					want = []string{c.device + " " + s.want}
				}
				if !slices.Equal(got, want) {
					t.Fatalf("step %d (%+v): derived %v, want %v", i, s, got, want)
				}
			}
		})
	}
}

func TestDerivedEventData(t *testing.T) {
	f := newFixture(t, "")
	f.tel("lb-fast", map[string]any{"battery_v": 11.2})
	ev := f.j.events[len(f.j.events)-1]
	if ev.Source != "gateway" || ev.TS != f.now.UnixMilli() || ev.ID == 0 {
		t.Errorf("event = %+v", ev)
	}
	for k, want := range map[string]any{"field": "battery_v", "value": 11.2, "below": 11.5, "clear": 12.0} {
		if ev.Data[k] != want {
			t.Errorf("data[%s] = %v, want %v (%v)", k, ev.Data[k], want, ev.Data)
		}
	}
}

// TestJournalRefusal shows that a derived event the journal refuses
// leaves the state as it was: the next sample tries again.
func TestJournalRefusal(t *testing.T) {
	f := newFixture(t, "")
	f.j.fail = errDiskFull
	f.tel("lb-fast", map[string]any{"mains": false})
	if f.m.Raised("lb-fast", "mains") || len(f.j.derived()) != 0 {
		t.Fatal("raised although nothing was journaled")
	}
	if n := testutil.ToFloat64(f.m.m.problems.WithLabelValues(reasonNotJournaled)); n != 1 {
		t.Errorf("not_journaled = %v, want 1", n)
	}
	f.j.fail = nil
	f.tel("lb-fast", map[string]any{"mains": false})
	if got := f.j.derived(); !slices.Equal(got, []string{"lb-fast power.mains_lost"}) {
		t.Errorf("derived %v after the journal came back", got)
	}
}
