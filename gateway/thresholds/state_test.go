package thresholds

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestRestartKeepsTheState restarts the monitor on the same journal and
// state file: a raised condition is not raised again, a clear is not lost,
// and what the device sent itself is remembered.
func TestRestartKeepsTheState(t *testing.T) {
	cases := []struct {
		name string
		// crash: the state file is not written after the last change
		// (the journal has it; the file does not).
		crash bool
	}{{"clean stop", false}, {"crash before the state file was written", true}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "thresholds.json")
			f := newFixture(t, path)
			stop := func() {
				if !c.crash {
					if err := f.m.Close(); err != nil {
						t.Fatal(err)
					}
				}
				f.start(path)
			}
			if err := f.m.Close(); err != nil { // a first file, before anything happened
				t.Fatal(err)
			}
			f.tel("lb-fast", map[string]any{"mains": false, "battery_v": 11.2})
			f.own("lb-default", "power.mains_lost")
			stop()
			f.tel("lb-fast", map[string]any{"mains": false, "battery_v": 11.3})
			if got := f.j.derived(); !slices.Equal(got, []string{"lb-fast battery.low", "lb-fast power.mains_lost"}) {
				t.Fatalf("after a restart: derived %v, want nothing new", got)
			}
			f.tel("lb-fast", map[string]any{"mains": true})
			stop()
			f.tel("lb-fast", map[string]any{"mains": false})
			want := []string{"lb-fast battery.low", "lb-fast power.mains_lost", "lb-fast power.mains_restored", "lb-fast power.mains_lost"}
			if got := f.j.derived(); !slices.Equal(got, want) {
				t.Fatalf("a clear lost across the restart: derived %v, want %v", got, want)
			}
			// lb-default sent mains_lost itself before the restarts: its
			// own event is still awaited.
			f.own("lb-default", "power.mains_restored")
			f.tel("lb-default", map[string]any{"mains": true})
			f.tel("lb-default", map[string]any{"mains": false})
			f.now = f.now.Add(time.Minute)
			f.tel("lb-default", map[string]any{"mains": false})
			if got := f.j.derived(); len(got) != len(want) {
				t.Fatalf("lb-default: derived %v though it sends mains_lost itself", got[len(want):])
			}
		})
	}
}

// TestUnreadableStateIsSetAside shows a damaged file costs the memory of
// what was raised, not the start.
func TestUnreadableStateIsSetAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "thresholds.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, path)
	if _, err := os.Stat(path + ".bad"); err != nil {
		t.Errorf("damaged file not set aside: %v", err)
	}
	f.tel("lb-fast", map[string]any{"mains": false})
	if err := f.m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("no new state file: %v", err)
	}
}

// TestSavedFromTheTelemetryPath shows the state file follows changes
// without a Close: after SaveDirty, the next sample writes it.
func TestSavedFromTheTelemetryPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "thresholds.json")
	f := newFixture(t, path)
	f.tel("lb-fast", map[string]any{"mains": false})
	f.now = f.now.Add(DefaultSaveIdle)
	f.tel("lb-fast", map[string]any{"mains": false})
	snap, err := f.m.load()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Raised) != 1 || snap.Raised[0].Device != "lb-fast" || snap.Raised[0].Field != "mains" || snap.After != f.j.LastID() {
		t.Errorf("state file = %+v", snap)
	}
}
