package deliver

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// noJitter makes backoff waits exact.
func noJitter() float64 { return 0 }

func TestOutboxRetriesWithBackoffUntilDelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := &fakeChannel{name: "fake", script: []error{errFlaky, errFlaky, nil}}
		m := newMetrics(t)
		var delivered []string
		o := openOutbox(t, t.TempDir(), Config{Channel: ch, Metrics: m,
			Backoff: Backoff{Base: 2 * time.Second, Max: time.Minute, Rand: noJitter},
			Delivered: func(staff string, _ event.Notification, channel string) {
				delivered = append(delivered, staff+"@"+channel)
			}})
		stop := running(t, o)
		defer stop()
		start := time.Now()
		if err := o.Notify(t.Context(), "wang", note("a1")); err != nil {
			t.Fatal(err)
		}
		if got := testutil.ToFloat64(m.pending.WithLabelValues("fake")); got != 1 {
			t.Errorf("pending gauge after Notify = %v, want 1", got)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		calls := ch.Calls()
		var at []time.Duration
		for _, c := range calls {
			at = append(at, c.at.Sub(start))
		}
		want := []time.Duration{0, 2 * time.Second, 6 * time.Second}
		if len(at) != len(want) {
			t.Fatalf("sends at %v, want %v", at, want)
		}
		for i := range want {
			if at[i] != want[i] {
				t.Errorf("send %d at %v, want %v", i, at[i], want[i])
			}
		}
		if calls[2].staff != "wang" || calls[2].note.AlarmID != "a1" {
			t.Errorf("sent %s/%s, want wang/a1", calls[2].staff, calls[2].note.AlarmID)
		}
		if o.Pending() != 0 {
			t.Errorf("Pending = %d after delivery", o.Pending())
		}
		if got := testutil.ToFloat64(m.pending.WithLabelValues("fake")); got != 0 {
			t.Errorf("pending gauge = %v, want 0", got)
		}
		if count(m, "fake", "ok") != 1 || count(m, "fake", "error") != 2 {
			t.Errorf("deliveries ok=%v error=%v, want 1 and 2", count(m, "fake", "ok"), count(m, "fake", "error"))
		}
		if n := testutil.CollectAndCount(m.seconds); n != 1 {
			t.Errorf("delivery_seconds series = %d, want 1", n)
		}
		if len(delivered) != 1 || delivered[0] != "wang@fake" {
			t.Errorf("Delivered hook calls = %v, want [wang@fake]", delivered)
		}
	})
}

func TestOutboxGivesUp(t *testing.T) {
	tests := []struct {
		name    string
		script  []error
		maxAge  time.Duration
		outcome string
		sends   int
	}{
		{"permanent failure is dropped at once", []error{Permanent(errors.New("400"))}, time.Hour, outcomeDropped, 1},
		// Tries at 0, 1, 3, 7 s; the one at 7 s is past the 5 s max age.
		{"transient failures expire after max age", []error{errFlaky, errFlaky, errFlaky, errFlaky, errFlaky}, 5 * time.Second, outcomeExpired, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ch := &fakeChannel{name: "fake", script: tt.script}
				m := newMetrics(t)
				o := openOutbox(t, t.TempDir(), Config{Channel: ch, Metrics: m, MaxAge: tt.maxAge,
					Backoff: Backoff{Base: time.Second, Max: time.Minute, Rand: noJitter}})
				stop := running(t, o)
				defer stop()
				if err := o.Notify(t.Context(), "wang", note("a1")); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Hour)
				synctest.Wait()
				if n := len(ch.Calls()); n != tt.sends {
					t.Errorf("sends = %d, want %d", n, tt.sends)
				}
				if o.Pending() != 0 {
					t.Errorf("Pending = %d, want 0", o.Pending())
				}
				if got := count(m, "fake", tt.outcome); got != 1 {
					t.Errorf("deliveries{outcome=%s} = %v, want 1", tt.outcome, got)
				}
				if got := count(m, "fake", outcomeOK); got != 0 {
					t.Errorf("deliveries{outcome=ok} = %v, want 0", got)
				}
			})
		})
	}
}

func TestOutboxResumesAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "outbox.db")
		down := &fakeChannel{name: "fake", block: true}
		first, err := Open(Config{Path: path, Channel: down, AttemptTimeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- first.Run(ctx) }()
		for _, id := range []string{"a1", "a2"} {
			if err := first.Notify(t.Context(), "wang", note(id)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait() // both sends hang
		cancel()        // the gateway stops mid-send
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		if err := first.Notify(t.Context(), "wang", note("a3")); !errors.Is(err, ErrClosed) {
			t.Errorf("Notify after Close = %v, want ErrClosed", err)
		}

		up := &fakeChannel{name: "fake"}
		m := newMetrics(t)
		second, err := Open(Config{Path: path, Channel: up, Metrics: m, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer second.Close()
		if second.Pending() != 2 {
			t.Fatalf("Pending after reopen = %d, want 2", second.Pending())
		}
		stop := running(t, second)
		time.Sleep(time.Second)
		synctest.Wait()
		stop()
		var got []string
		for _, c := range up.Calls() {
			got = append(got, c.note.AlarmID)
		}
		if strings.Join(got, ",") != "a1,a2" {
			t.Errorf("delivered after restart %v, want [a1 a2] in order", got)
		}
		if second.Pending() != 0 || count(m, "fake", "error") != 0 {
			t.Errorf("Pending = %d, errors = %v; the interrupted sends must not count as tries",
				second.Pending(), count(m, "fake", "error"))
		}
	})
}

func TestOutboxWorkersBoundSends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ch := &fakeChannel{name: "fake", block: true}
		o := openOutbox(t, t.TempDir(), Config{Channel: ch, Workers: 2, AttemptTimeout: time.Minute})
		stop := running(t, o)
		defer stop()
		for _, id := range []string{"a1", "a2", "a3"} {
			if err := o.Notify(t.Context(), "wang", note(id)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if n := len(ch.Calls()); n != 2 {
			t.Errorf("sends in flight = %d, want 2 (workers)", n)
		}
	})
}

func TestOutboxBadInput(t *testing.T) {
	ch := &fakeChannel{name: "fake"}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no path", Config{Channel: ch}, "no path"},
		{"no channel", Config{Path: "x.db"}, "no channel"},
		{"nameless channel", Config{Path: "x.db", Channel: &fakeChannel{}}, "no name"},
		{"negative workers", Config{Path: "x.db", Channel: ch, Workers: -1}, "must not be negative"},
		{"bad backoff", Config{Path: "x.db", Channel: ch, Backoff: Backoff{Base: time.Hour, Max: time.Second}}, "base is larger than max"},
		{"unopenable file", Config{Path: filepath.Join(t.TempDir(), "missing", "dir", "x.db"), Channel: ch}, "open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	t.Run("empty staff id", func(t *testing.T) {
		o := openOutbox(t, t.TempDir(), Config{Channel: ch})
		if err := o.Notify(t.Context(), "", note("a1")); err == nil {
			t.Error("Notify with no staff id succeeded")
		}
		if o.Pending() != 0 {
			t.Errorf("Pending = %d, want 0", o.Pending())
		}
	})
}
