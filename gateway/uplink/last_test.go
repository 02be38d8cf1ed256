package uplink

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestLastForgetsClosedAlarms: many alarms opened and closed through the
// uplink leave in memory only the open ones once their closes are in the
// outbox (the map does not grow with every alarm the site ever had), also
// after a restart; a late change to a forgotten closed alarm still goes
// up as just its new steps (read back from the outbox), a repeat of its
// state as none, and an alarm never seen closed as every step.
func TestLastForgetsClosedAlarms(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uplink.db")
	open := func() *Uplink {
		t.Helper()
		u, err := Open(Config{URL: "tcp://127.0.0.1:1", County: testCounty, Site: testSite, ClientID: "c", Path: path})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	flush := func(u *Uplink) {
		t.Helper()
		if !u.flush() {
			t.Fatal("not stored")
		}
	}
	u := open()
	const alarms, stayOpen = 200, 7
	for i := range alarms {
		id := fmt.Sprintf("A%03d", i)
		u.Alarm(lifecycle(id, 1))
		u.Alarm(lifecycle(id, 2))
		if i%10 == 0 {
			flush(u) // some closes go in a batch of their own, some with their raise
		}
		if i >= stayOpen {
			u.Alarm(lifecycle(id, 5))
		}
	}
	if n := len(u.last); n <= stayOpen {
		t.Fatalf("closes not yet written: %d alarms in memory, want them kept until written", n)
	}
	flush(u)
	if n := len(u.last); n != stayOpen {
		t.Errorf("after %d alarms, %d still open: %d kept in memory, want %d", alarms, stayOpen, n, stayOpen)
	}
	if got := u.Unclosed(); len(got) != stayOpen {
		t.Errorf("Unclosed = %d alarms, want %d", len(got), stayOpen)
	}

	// Late changes of forgotten closed alarms.
	late := lifecycle("A100", 5)
	late.Timeline = append(late.Timeline, alarm.Entry{At: 2000, Kind: alarm.EntryDelivered})
	u.Alarm(late)
	u.Alarm(late)                 // the same state again: nothing new
	u.Alarm(lifecycle("A150", 5)) // as the county last heard it: nothing
	u.Alarm(lifecycle("B1", 5))   // closed at first sight: every step
	flush(u)
	if n := len(u.last); n != stayOpen {
		t.Errorf("after late changes: %d kept in memory, want %d", n, stayOpen)
	}
	recs, err := u.box.next(10000)
	if err != nil {
		t.Fatal(err)
	}
	steps := func(id string) []string {
		var out []string
		for _, r := range recs {
			if r.Rec.Alarm == nil {
				continue
			}
			if got, _, _ := r.Rec.Alarm.AlarmRef(); got == id {
				out = append(out, r.Rec.Alarm.Step)
			}
		}
		return out
	}
	all := []string{countywire.StepRaised, countywire.StepPaged, countywire.StepAck, countywire.StepArrive, countywire.StepResolve}
	for _, tc := range []struct {
		id   string
		want []string
	}{
		{"A100", append(slices.Clone(all), countywire.StepDelivered)},
		{"A150", all},
		{"B1", all},
		{"A003", all[:2]},
	} {
		if got := steps(tc.id); !slices.Equal(got, tc.want) {
			t.Errorf("%s went up as %v, want %v", tc.id, got, tc.want)
		}
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}

	// A restart keeps only the open alarms in memory too, and still tells
	// a late change from a first sight.
	u = open()
	defer u.Close()
	if n := len(u.last); n != stayOpen {
		t.Errorf("after a restart: %d kept in memory, want %d", n, stayOpen)
	}
	late.Timeline = append(late.Timeline, alarm.Entry{At: 3000, Kind: alarm.EntryDelivered})
	u.Alarm(late)
	flush(u)
	if recs, err = u.box.next(10000); err != nil {
		t.Fatal(err)
	}
	if got := steps("A100"); !slices.Equal(got, append(slices.Clone(all), countywire.StepDelivered, countywire.StepDelivered)) {
		t.Errorf("A100 after a restart went up as %v", got)
	}
}
