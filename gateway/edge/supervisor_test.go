package edge

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// flaky fails its first runs as told (an error, a return before it was
// stopped, a panic, or running some time first), then runs until stopped.
// It records when each run began, since the bubble's start.
type flaky struct {
	start time.Time
	plan  []func(ctx context.Context) error

	mu     sync.Mutex
	starts []time.Duration
}

func (f *flaky) Run(ctx context.Context) error {
	f.mu.Lock()
	n := len(f.starts)
	f.starts = append(f.starts, time.Since(f.start))
	f.mu.Unlock()
	if n < len(f.plan) {
		return f.plan[n](ctx)
	}
	<-ctx.Done()
	return nil
}

func (f *flaky) runs() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.starts...)
}

func fail(context.Context) error { return errors.New("port vanished") }

func TestSupervisorRestartsWithBackoff(t *testing.T) {
	sec := time.Second
	for _, tc := range []struct {
		name string
		plan []func(ctx context.Context) error
		want []time.Duration // when each run began
	}{
		{"errors back off 1 2 4 8 s, capped at 10 s", []func(context.Context) error{fail, fail, fail, fail, fail},
			[]time.Duration{0, 1 * sec, 3 * sec, 7 * sec, 15 * sec, 25 * sec}},
		{"a return before the stop is a failure", []func(context.Context) error{
			func(context.Context) error { return nil }}, []time.Duration{0, 1 * sec}},
		{"a panic is a failure", []func(context.Context) error{
			func(context.Context) error { panic("codec met bytes nobody foresaw") }}, []time.Duration{0, 1 * sec}},
		{"a driver that worked a while starts from the short backoff", []func(context.Context) error{fail, fail,
			func(context.Context) error { time.Sleep(time.Minute); return errors.New("unplugged") }, fail},
			[]time.Duration{0, 1 * sec, 3 * sec, 64 * sec, 66 * sec}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				reg := prometheus.NewRegistry()
				s, err := NewSupervisor(Config{MinBackoff: time.Second, MaxBackoff: 10 * time.Second, Registerer: reg})
				if err != nil {
					t.Fatal(err)
				}
				bad := &flaky{start: time.Now(), plan: tc.plan}
				good := &flaky{start: time.Now()}
				if err := s.Add("osdp-ttyUSB0", bad); err != nil {
					t.Fatal(err)
				}
				if err := s.Add("rtp-cam-1", good); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan error)
				go func() { done <- s.Run(ctx) }()
				time.Sleep(10 * time.Minute)
				synctest.Wait()
				if got := bad.runs(); !slices.Equal(got, tc.want) {
					t.Errorf("runs began at %v, want %v", got, tc.want)
				}
				restarts := testutil.ToFloat64(s.restarts.WithLabelValues("osdp-ttyUSB0"))
				if int(restarts) != len(tc.want)-1 {
					t.Errorf("restarts counted %v, want %d", restarts, len(tc.want)-1)
				}
				if up := testutil.ToFloat64(s.up.WithLabelValues("osdp-ttyUSB0")); up != 1 {
					t.Errorf("gridwatch_driver_up %v once it runs again, want 1", up)
				}
				if n := len(good.runs()); n != 1 || testutil.ToFloat64(s.restarts.WithLabelValues("rtp-cam-1")) != 0 {
					t.Errorf("the other driver ran %d times; one failing driver must not touch the others", n)
				}
				cancel()
				if err := <-done; err != nil {
					t.Errorf("Run returned %v after the stop, want nil", err)
				}
			})
		})
	}
}

func TestSupervisorStopsDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := NewSupervisor(Config{})
		if err != nil {
			t.Fatal(err)
		}
		bad := &flaky{start: time.Now(), plan: []func(context.Context) error{fail, fail}}
		if err := s.Add("modbus-ttyUSB1", bad); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- s.Run(ctx) }()
		time.Sleep(1500 * time.Millisecond) // the second run failed; waiting 2 s
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if n := len(bad.runs()); n != 2 {
			t.Errorf("%d runs, want 2: no restart after the stop", n)
		}
	})
}

func TestSupervisorAdd(t *testing.T) {
	s, err := NewSupervisor(Config{})
	if err != nil {
		t.Fatal(err)
	}
	d := DriverFunc(func(ctx context.Context) error { <-ctx.Done(); return nil })
	if err := s.Add("a", d); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		d    Driver
	}{{"a", d}, {"", d}, {"b", nil}} {
		if err := s.Add(tc.name, tc.d); err == nil {
			t.Errorf("Add(%q, %v) accepted", tc.name, tc.d)
		}
	}
}
