package escalate

import (
	"context"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// histogram returns the sample count and sum of one series of a
// histogram the rig's registry exports.
func (r *rig) histogram(name, severity, level string) (uint64, float64) {
	r.t.Helper()
	mfs, err := r.prom.Gather()
	if err != nil {
		r.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["severity"] == severity && labels["grid_level"] == level {
				return m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
			}
		}
	}
	return 0, 0
}

func TestLatencyHistogramsOncePerTransition(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "alarms.db")
		var lastID uint64
		notes := newNotifier()
		r := startRig(t, path, notes, &lastID)
		ctx := context.Background()
		r.send("lb-0001", event.ButtonPressed) // the event is 1 s old
		id := r.only().ID
		advance(30 * time.Second)
		if _, err := r.desk.Act(ctx, event.Action{AlarmID: id, Kind: event.Ack, By: "wang"}); err != nil {
			t.Fatal(err)
		}
		advance(60 * time.Second)
		if _, err := r.desk.Act(ctx, event.Action{AlarmID: id, Kind: event.Arrive, By: "wang"}); err != nil {
			t.Fatal(err)
		}
		// A refused action observes nothing.
		if _, err := r.desk.Act(ctx, event.Action{AlarmID: id, Kind: event.Resolve, By: "sun"}); err == nil {
			t.Fatal("sun resolved an alarm of another cell")
		}
		advance(10 * time.Second)
		if _, err := r.desk.Act(ctx, event.Action{AlarmID: id, Kind: event.Resolve, By: "wang"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			sum  float64
		}{
			{"gridwatch_alarm_first_page_seconds", 1},
			{"gridwatch_alarm_ack_seconds", 31},
			{"gridwatch_alarm_arrive_seconds", 91},
			{"gridwatch_alarm_resolve_seconds", 101},
		} {
			if n, sum := r.histogram(c.name, "red", "4"); n != 1 || sum != c.sum {
				t.Errorf("%s{red,4} = %d samples, sum %v; want 1, %v", c.name, n, sum, c.sum)
			}
		}

		// A second press on an open alarm joins it: no second first page.
		r.send("lb-0002", event.ButtonPressed)
		r.send("lb-0002", event.ButtonPressed)
		if n, _ := r.histogram("gridwatch_alarm_first_page_seconds", "red", "4"); n != 2 {
			t.Errorf("first pages after a joined repeat = %d, want 2", n)
		}

		// After a restart, loading and replaying observe nothing again.
		r.stop()
		r = startRig(t, path, notes, &lastID)
		defer r.stop()
		advance(time.Hour) // lb-0002's later steps fire: not a first page
		for _, name := range []string{"gridwatch_alarm_first_page_seconds", "gridwatch_alarm_ack_seconds"} {
			if n, _ := r.histogram(name, "red", "4"); n != 0 {
				t.Errorf("%s observed %d times after a restart", name, n)
			}
		}
	})
}
