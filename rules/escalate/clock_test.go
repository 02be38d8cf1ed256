package escalate

import (
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// wallClock is a system wall clock a test can step: the bubble's clock
// plus an offset.
type wallClock struct{ off atomic.Int64 }

func (w *wallClock) Now() time.Time          { return time.Now().Add(time.Duration(w.off.Load())) }
func (w *wallClock) step(d time.Duration)    { w.off.Add(int64(d)) }
func withNow(now func() time.Time) rigOption { return func(c *Config) { c.Now = now } }
func withShift(d time.Duration) rigOption    { return func(c *Config) { c.Shift = d } }

// gatewayClock is the gateway's clock as gateway/clock makes it (rules
// may not import it, tests included): the wall clock read once, carried
// forward by the monotonic clock.
func gatewayClock(w *wallClock) func() time.Time {
	start, mono := w.Now(), time.Now()
	return func() time.Time { return start.Add(time.Since(mono)) }
}

// A wall clock stepped back or forward an hour while an alarm escalates
// neither delays its police page by an hour nor fires it at once: the
// desk runs on the gateway's clock. On the raw wall clock (as the desk
// did before) the same test fails, which the "raw wall" cases show.
func TestWallClockStepMovesNoDeadline(t *testing.T) {
	for _, tc := range []struct {
		name   string
		step   time.Duration
		raw    bool // the desk reads the stepped wall clock directly
		onTime bool // step 1 goes out at +60 s
	}{
		{"back an hour", -time.Hour, false, true},
		{"forward an hour", time.Hour, false, true},
		{"raw wall, back an hour", -time.Hour, true, false},
		{"raw wall, forward an hour", time.Hour, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				wall := &wallClock{}
				now := gatewayClock(wall)
				if tc.raw {
					now = wall.Now
				}
				r := newRig(t, withNow(now))
				defer r.stop()
				r.send("lb-0001", event.ButtonPressed)
				if got := staffOf(r.notes.take()); !reflect.DeepEqual(got, []string{"chen", "room1", "wang"}) {
					t.Fatalf("step 0 paged %v", got)
				}
				advance(10 * time.Second)
				wall.step(tc.step)
				r.desk.Submit(t.Context(), event.Event{ID: 1000}, nil) // wake the desk, as any event would
				synctest.Wait()
				advance(49 * time.Second)
				early := staffOf(r.notes.take())
				advance(2 * time.Second)
				onTime := staffOf(r.notes.take())
				got := len(early) == 0 && reflect.DeepEqual(onTime, []string{"li", "zhao"})
				if got != tc.onTime {
					t.Fatalf("step 1 on time = %v, want %v (paged before +59 s: %v; at +60 s: %v)", got, tc.onTime, early, onTime)
				}
			})
		})
	}
}

// The wall clock stepped back an hour while the gateway was down: the
// stored alarm's times are moved by the step (Config.Shift from the
// gateway's clock), so step 1 still goes out 60 s after the press, not an
// hour later.
func TestRestartAfterWallStepKeepsDeadlines(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shift  bool
		onTime bool
	}{
		{"shifted", true, true},
		{"not shifted", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "alarms.db")
				var lastID uint64
				notes := newNotifier()
				wall := &wallClock{}
				r := startRig(t, path, notes, &lastID, withNow(wall.Now))
				t0 := time.Now()
				r.send("lb-0001", event.ButtonPressed)
				notes.take()
				advance(10 * time.Second)
				r.stop()

				advance(20 * time.Second)
				wall.step(-time.Hour)
				var opts []rigOption
				if tc.shift {
					opts = append(opts, withShift(-time.Hour))
				}
				r = startRig(t, path, notes, &lastID, append(opts, withNow(gatewayClock(wall)))...)
				defer r.stop()
				if p := notes.take(); len(p) != 0 {
					t.Fatalf("paged %v at restart, 30 s after the press", staffOf(p))
				}
				advance(time.Until(t0.Add(60*time.Second)) - time.Second)
				early := staffOf(notes.take())
				advance(2 * time.Second)
				onTime := staffOf(notes.take())
				got := len(early) == 0 && reflect.DeepEqual(onTime, []string{"li", "zhao"})
				if got != tc.onTime {
					t.Fatalf("step 1 on time = %v, want %v (early %v, at +60 s %v)", got, tc.onTime, early, onTime)
				}
				if tc.shift {
					if a := r.only(); a.RaisedMS != t0.Add(-time.Hour).UnixMilli() {
						t.Fatalf("stored raise time %d, want it moved back an hour to %d", a.RaisedMS, t0.Add(-time.Hour).UnixMilli())
					}
				}
			})
		})
	}
}
