package escalate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/prometheus/client_golang/prometheus"
)

func TestPoliciesValidate(t *testing.T) {
	if err := DefaultPolicies().Validate(); err != nil {
		t.Fatalf("default policies: %v", err)
	}
	with := func(f func(p Policies)) Policies { p := DefaultPolicies(); f(p); return p }
	tests := []struct {
		name string
		p    Policies
		want []string
	}{
		{"missing severity", with(func(p Policies) { delete(p, event.Blue) }), []string{"policy blue: no steps"}},
		{"unknown severity", with(func(p Policies) { p["purple"] = p[event.Red] }), []string{`policy "purple": not a severity`}},
		{"negative after", with(func(p Policies) { p[event.Blue].Steps[0].After = -time.Second }), []string{"policy blue step 0: negative after"}},
		{"steps out of order", with(func(p Policies) { p[event.Red].Steps[2].After = time.Second }), []string{"policy red step 2: after 1s comes before step 1's 1m0s"}},
		{"pages nobody", with(func(p Policies) { p[event.Yellow].Steps[1].Roles = nil }), []string{"policy yellow step 1: pages nobody"}},
		{"unknown role", with(func(p Policies) { p[event.Orange].Steps[0].Roles[0] = "janitor" }), []string{`policy orange step 0: unknown role "janitor"`}},
		{"bad staff id", with(func(p Policies) { p[event.Red].Steps[0].Staff = []string{"王 芳"} }), []string{`policy red step 0: bad staff id "王 芳"`}},
		{"every problem", with(func(p Policies) { delete(p, event.Red); p[event.Blue].Steps[0].Roles = nil }),
			[]string{"policy red: no steps", "policy blue step 0: pages nobody"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	good := Config{Registry: registry.Empty, Notifier: newNotifier(), Store: &alarm.Store{}}
	tests := []struct {
		name string
		mod  func(c *Config)
		want string
	}{
		{"no registry", func(c *Config) { c.Registry = nil }, "no registry"},
		{"no notifier", func(c *Config) { c.Notifier = nil }, "no notifier"},
		{"no store", func(c *Config) { c.Store = nil }, "no alarm store"},
		{"negative queue", func(c *Config) { c.Queue = -1 }, "negative queue"},
		{"bad policies", func(c *Config) { c.Policies = Policies{} }, "policy red: no steps"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.mod(&c)
			if d, err := New(c); err == nil || d != nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error saying %q", err, tt.want)
			}
		})
	}
	// Two desks on one registerer collide; on separate ones they do not.
	reg := prometheus.NewRegistry()
	c := good
	c.Registerer = reg
	if _, err := New(c); err != nil {
		t.Fatal(err)
	}
	if _, err := New(c); err == nil {
		t.Fatal("a second desk on the same registerer was accepted")
	}
	c.Registerer = prometheus.NewRegistry()
	if _, err := New(c); err != nil {
		t.Fatal(err)
	}
}

func TestSubmitRejectsAndBlocksBoundedly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, err := New(Config{Registry: registry.Empty, Notifier: newNotifier(), Store: &alarm.Store{}, Queue: 1})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		ok := event.Trigger{Rule: "panic", Severity: event.Red, Device: "lb-0001"}
		bad := []struct {
			ev event.Event
			tr []event.Trigger
		}{
			{event.Event{Device: "lb-0001", Type: event.ButtonPressed}, nil},
			{event.Event{ID: 1}, []event.Trigger{{Severity: event.Red, Device: "lb-0001"}}},
			{event.Event{ID: 1}, []event.Trigger{{Rule: "panic", Severity: event.Red}}},
			{event.Event{ID: 1}, []event.Trigger{ok, {Rule: "panic", Severity: "purple", Device: "lb-0001"}}},
		}
		for i, b := range bad {
			if err := d.Submit(ctx, b.ev, b.tr); err == nil {
				t.Errorf("case %d: Submit accepted %+v %+v", i, b.ev, b.tr)
			}
		}
		// A clear trigger needs no severity.
		if err := d.Submit(ctx, event.Event{ID: 1}, []event.Trigger{{Rule: "tamper", Device: "lb-0001", Clear: true}}); err != nil {
			t.Fatal(err)
		}
		// The queue (1) is full and nobody runs the desk: Submit waits for
		// the caller's context, no longer.
		tctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		start := time.Now()
		if err := d.Submit(tctx, event.Event{ID: 2}, nil); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != 3*time.Second {
			t.Fatalf("Submit on a full queue = %v after %v", err, time.Since(start))
		}
	})
}

func TestCheckpointBatchesQuietEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		stopped := false
		defer func() {
			if !stopped {
				r.stop()
			}
		}()
		// Events that raise nothing are stored lazily, within a second.
		for range 3 {
			r.send("lb-0001", event.AccessGranted)
		}
		if got := r.desk.Checkpoint(); got != 0 {
			t.Fatalf("checkpoint %d stored at once for quiet events", got)
		}
		advance(time.Second)
		if got := r.desk.Checkpoint(); got != 3 {
			t.Fatalf("checkpoint after a second = %d, want 3", got)
		}
		// An event that changes an alarm is stored with it within the
		// second too (paged at once, replayed after a crash before then).
		r.send("lb-0001", event.ButtonPressed)
		if got := r.desk.Checkpoint(); got != 3 {
			t.Fatalf("checkpoint right after a press = %d, want 3", got)
		}
		advance(checkpointEvery)
		if got := r.desk.Checkpoint(); got != 4 {
			t.Fatalf("checkpoint a second after a press = %d, want 4", got)
		}
		_, ckpt, err := r.store.Load()
		if err != nil || ckpt != 4 {
			t.Fatalf("stored checkpoint = %d, %v", ckpt, err)
		}
		// Stopping stores the rest and refuses more.
		r.send("lb-0001", event.AccessGranted)
		r.stop()
		stopped = true
		if got := r.desk.Checkpoint(); got != 5 {
			t.Fatalf("checkpoint after stop = %d, want 5", got)
		}
		if err := r.desk.Submit(context.Background(), event.Event{ID: 6}, nil); !errors.Is(err, ErrStopped) {
			t.Fatalf("Submit after stop = %v", err)
		}
		if _, err := r.desk.Act(context.Background(), event.Action{AlarmID: "A1", Kind: event.Ack, By: "wang"}); !errors.Is(err, ErrStopped) {
			t.Fatalf("Act after stop = %v", err)
		}
		if err := r.desk.Run(context.Background()); err == nil {
			t.Fatal("Run ran twice")
		}
	})
}

func TestWaitLoaded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store, err := alarm.OpenStore(t.TempDir() + "/alarms.db")
		if err != nil {
			t.Fatal(err)
		}
		d, err := New(Config{Registry: registry.Empty, Notifier: newNotifier(), Store: store})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := d.WaitLoaded(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitLoaded before Run = %v", err)
		}
		// A store that cannot be read stops Run before it is ready.
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { errc <- d.Run(context.Background()) }()
		if _, err := d.WaitLoaded(context.Background()); !errors.Is(err, ErrStopped) {
			t.Fatalf("WaitLoaded with a failed load = %v", err)
		}
		if err := <-errc; err == nil || !strings.Contains(err.Error(), "alarm store") {
			t.Fatalf("Run with a closed store = %v", err)
		}
	})
}
