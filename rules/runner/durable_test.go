package runner

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// stuckHistory is a history writer that hangs on its first event until
// released, as a dead InfluxDB spool could: the runner is stuck there.
type stuckHistory struct {
	once    sync.Once
	stuck   chan struct{} // closed once the runner is stuck
	release chan struct{}
}

func newStuckHistory() *stuckHistory {
	return &stuckHistory{stuck: make(chan struct{}), release: make(chan struct{})}
}

func (h *stuckHistory) WriteEvent(event.Event, *registry.Device, *registry.Grid) error {
	first := false
	h.once.Do(func() { first = true })
	if first {
		close(h.stuck)
		<-h.release
	}
	return nil
}

// TestAcknowledgedBeforeAppliedSurvivesAKill: the rules are stuck on one
// event; the presses after it are still acknowledged at once (Append
// returns when they are on disk, not when the rules have seen them). The
// gateway is then killed before the rules applied them. At the next start
// they are applied from the journal, exactly once: one alarm, one page to
// wang; a third start raises and pages nothing again.
func TestAcknowledgedBeforeAppliedSurvivesAKill(t *testing.T) {
	dir := t.TempDir()
	hist := newStuckHistory()
	r := startRig(t, dir, func(c *Config) { c.History = hist })
	go func() { // the rules get stuck on it
		ev := event.Event{Device: "lb-0001", Type: event.TamperClosed, TS: time.Now().UnixMilli(), Source: event.SourceMQTT}
		if err := r.journal.Append(context.Background(), &ev); err != nil {
			t.Error(err)
		}
	}()
	<-hist.stuck

	acked := make(chan event.Event, 1)
	go func() {
		now := time.Now().UnixMilli()
		ev := event.Event{Device: "lb-0001", Type: event.ButtonPressed, TS: now, Received: now, Source: event.SourceMQTT}
		if err := r.journal.Append(context.Background(), &ev); err != nil {
			t.Error(err)
		}
		acked <- ev
	}()
	var press event.Event
	select {
	case press = <-acked:
	case <-time.After(wait):
		t.Fatal("the press was not acknowledged while the rules were busy: Append waits for the rules")
	}
	if n := len(r.alarms(rulefile.RulePanic)); n != 0 {
		t.Fatalf("%d panic alarms while the rules were stuck before the press", n)
	}
	if behind := gauge(t, r.prom, "gridwatch_rules_behind_events"); behind < 1 {
		t.Errorf("gridwatch_rules_behind_events = %v with the press not applied, want at least 1", behind)
	}

	r.kill(hist.release)
	if r.desk.Checkpoint() >= press.ID {
		t.Fatalf("the desk stored event %d before the kill; the case needs it unapplied", r.desk.Checkpoint())
	}

	for start := range 2 {
		r = startRig(t, dir)
		r.settle()
		panics := r.alarms(rulefile.RulePanic)
		if len(panics) != 1 || panics[0].EventMS != press.TS {
			t.Fatalf("start %d: panic alarms %+v, want the one of the acknowledged press", start+2, panics)
		}
		if start == 0 {
			testsvc.Eventually(t, wait, "wang paged for the press", func() bool { return len(r.phones.of("wang")) == 1 })
		} else if pages := r.phones.of("wang"); len(pages) != 0 {
			t.Errorf("start 3: wang paged again: %+v", pages)
		}
		r.stop(true)
	}
}

// kill stops the rig as kill -9 would, as far as the runner goes: the desk
// stores what it has, but the runner neither catches up nor saves its
// state. release unsticks what the runner is stuck on, once the stores are
// closed.
func (r *rig) kill(release chan struct{}) {
	r.t.Helper()
	r.cancel()
	<-r.desk.Done()
	if err := r.journal.Close(); err != nil {
		r.t.Error(err)
	}
	if err := r.store.Close(); err != nil {
		r.t.Error(err)
	}
	close(release)
	r.done.Wait()
}

// gauge reads one unlabelled gauge from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
