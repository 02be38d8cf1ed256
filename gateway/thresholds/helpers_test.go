package thresholds

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// site is a registry with the built-in light box thresholds (lb-default),
// a kind override making the battery's hold 0 for io modules, and devices
// with their own thresholds.
const site = `grids: [{id: g, level: 3}]
telemetry_thresholds:
  io:
    battery_v: {below: 11.5, clear: 12.0}
devices:
  - {id: lb-default, kind: lightbox, grid: g}
  - {id: lb-fast, kind: lightbox, grid: g, telemetry_thresholds: {battery_v: {below: 11.5, clear: 12.0}}}
  - {id: lb-24v, kind: lightbox, grid: g, telemetry_thresholds: {battery_v: {below: 23.0, clear: 24.0}}}
  - {id: lb-hot, kind: lightbox, grid: g, telemetry_thresholds: {temp_c: {above: 70, clear: 60, hold: 1m, event: temp.high, clear_event: temp.ok}}}
  - {id: lb-nomains, kind: lightbox, grid: g, telemetry_thresholds: {mains: {off: true}}}
  - {id: io-1, kind: io, grid: g}
  - {id: cam-1, kind: camera, grid: g}
`

// fakeJournal assigns IDs and hands each event to the monitor at once,
// before Append returns (the real one reaches it a moment later, through
// Run's follower).
type fakeJournal struct {
	mu      sync.Mutex
	events  []event.Event
	fail    error
	durable func([]event.Event)
}

func (j *fakeJournal) Append(_ context.Context, ev *event.Event) error {
	j.mu.Lock()
	if j.fail != nil {
		j.mu.Unlock()
		return j.fail
	}
	ev.ID = uint64(len(j.events) + 1)
	j.events = append(j.events, *ev)
	j.mu.Unlock()
	if j.durable != nil {
		j.durable([]event.Event{*ev})
	}
	return nil
}

func (j *fakeJournal) Replay(after uint64, fn func(event.Event) error) error {
	j.mu.Lock()
	evs := append([]event.Event(nil), j.events...)
	j.mu.Unlock()
	for _, ev := range evs {
		if ev.ID > after {
			if err := fn(ev); err != nil {
				return err
			}
		}
	}
	return nil
}

func (j *fakeJournal) LastID() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return uint64(len(j.events))
}

// derived returns the types of the gateway-derived events journaled.
func (j *fakeJournal) derived() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for _, ev := range j.events {
		if ev.Source == event.SourceGateway {
			out = append(out, ev.Device+" "+ev.Type)
		}
	}
	return out
}

// fixture is a monitor on the site registry, a fake journal and a clock
// the test moves.
type fixture struct {
	t   testing.TB
	reg *registry.Registry
	j   *fakeJournal
	m   *Monitor
	now time.Time
}

func newFixture(t testing.TB, path string) *fixture {
	t.Helper()
	reg, err := registry.Parse("site", []byte(site))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, reg: reg, j: &fakeJournal{}, now: time.UnixMilli(1_800_000_000_000)}
	f.start(path)
	return f
}

// start makes a new monitor on the same journal (a restart) and restores it.
func (f *fixture) start(path string) {
	f.t.Helper()
	m, err := New(Config{Path: path, Registry: func() *registry.Registry { return f.reg }, Journal: f.j,
		Now: func() time.Time { return f.now }})
	if err != nil {
		f.t.Fatal(err)
	}
	f.j.durable = m.Journaled
	if err := m.Restore(f.j); err != nil {
		f.t.Fatal(err)
	}
	f.m = m
}

// tel sends one sample of device at the current time.
func (f *fixture) tel(device string, fields map[string]any) {
	f.t.Helper()
	dev, ok := f.reg.Device(device)
	if !ok {
		f.t.Fatalf("no device %s", device)
	}
	f.m.Telemetry(context.Background(), event.Telemetry{Device: device, TS: f.now.UnixMilli(), Fields: fields,
		Received: f.now.UnixMilli()}, dev)
}

// own journals an event the device sent itself.
func (f *fixture) own(device, typ string) {
	f.t.Helper()
	ms := f.now.UnixMilli()
	if err := f.j.Append(context.Background(), &event.Event{Device: device, Type: typ, TS: ms, Received: ms, Source: event.SourceMQTT}); err != nil {
		f.t.Fatal(err)
	}
}

var errDiskFull = errors.New("disk full")
