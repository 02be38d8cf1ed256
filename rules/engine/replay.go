package engine

import (
	"fmt"
	"iter"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// Decision is one trigger a replay made and when (the Received time of
// the event that made it, in the engine's zone).
type Decision = rulefile.Decision

// Report is what a replay did: how many events went in, the events the
// engine derived (device.offline, device.online) and every decision, in
// order.
type Report struct {
	Events    int
	Derived   []event.Event
	Decisions []Decision
}

// Replay runs recorded events (the journal's order and format, one
// event.Event each; e.g. from journal.ReadFile) through a fresh engine
// built from cfg, as the gateway would: before each event, supervision
// deadlines up to its Received time fire and the derived events go back
// through the rules; after the last event, deadlines up to until fire
// (a zero until stops at the last event). Events are looked up in
// cfg.Registry when it is set. It stops at the first error of events.
func Replay(cfg Config, events iter.Seq2[event.Event, error], until time.Time) (Report, error) {
	e, err := Compile(cfg)
	if err != nil {
		return Report{}, err
	}
	r := &replayer{e: e, reg: cfg.Registry}
	var last time.Time
	for ev, err := range events {
		if err != nil {
			return r.rep, fmt.Errorf("replay: event %d: %w", r.rep.Events+1, err)
		}
		r.rep.Events++
		at := eventTime(&ev)
		r.advance(at)
		r.evaluate(&ev, at)
		r.feed(e.Tick(at))
		if at.After(last) {
			last = at
		}
	}
	if until.After(last) {
		r.advance(until)
	}
	return r.rep, nil
}

type replayer struct {
	e   *Engine
	reg func() *registry.Registry
	rep Report
}

// advance fires every deadline up to t, each at its own time, and feeds
// what it derives back through the rules.
func (r *replayer) advance(t time.Time) {
	for {
		d, ok := r.e.NextDeadline()
		if !ok || d.After(t) {
			break
		}
		r.feed(r.e.Tick(d))
	}
	r.feed(r.e.Tick(t))
}

func (r *replayer) feed(derived []event.Event) {
	for i := range derived {
		ev := derived[i]
		r.rep.Derived = append(r.rep.Derived, ev)
		r.evaluate(&ev, eventTime(&ev))
	}
}

func (r *replayer) evaluate(ev *event.Event, at time.Time) {
	var (
		dev  *registry.Device
		grid *registry.Grid
	)
	if r.reg != nil {
		if reg := r.reg(); reg != nil {
			if d, ok := reg.Device(ev.Device); ok {
				dev = d
				grid, _ = reg.Grid(d.Grid)
			}
		}
	}
	for _, t := range r.e.Evaluate(ev, dev, grid) {
		r.rep.Decisions = append(r.rep.Decisions, Decision{At: at.In(r.e.zone), Trigger: t})
	}
}

// eventTime is the time the engine judges ev by.
func eventTime(ev *event.Event) time.Time {
	if ev.Received != 0 {
		return time.UnixMilli(ev.Received)
	}
	return time.UnixMilli(ev.TS)
}

// Cases is the Replayer that runs a rule file's test cases
// (rulefile.File.Run) through this engine: a fresh one built from cfg,
// with the file's rules and silences in place of cfg's, and the file's
// fixture, when it has one, in place of cfg's registry: a file that
// carries its fixture passes its cases on any site.
func Cases(cfg Config) rulefile.Replayer {
	return func(f *rulefile.File, events iter.Seq2[event.Event, error], until time.Time) ([]rulefile.Decision, error) {
		cfg.Rules, cfg.Silences, cfg.Operators = f.Rules, f.Silences, nil
		if f.Fixture != nil {
			fixture := f.Fixture
			cfg.Registry = func() *registry.Registry { return fixture }
		}
		rep, err := Replay(cfg, events, until)
		return rep.Decisions, err
	}
}
