package engine

import (
	"fmt"
	"iter"
	"slices"
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
// cfg.Registry when it is set. Serial-polled devices of the registry
// (osdp:, modbus:) answer their polls throughout, as on site, except
// while their bus is down (bus.fault until bus.restored): the journal
// holds no polls, and without them every quiet reader would look
// offline. It stops at the first error of events.
func Replay(cfg Config, events iter.Seq2[event.Event, error], until time.Time) (Report, error) {
	e, err := Compile(cfg)
	if err != nil {
		return Report{}, err
	}
	r := &replayer{e: e, reg: cfg.Registry}
	r.findPolled()
	var last time.Time
	for ev, err := range events {
		if err != nil {
			return r.rep, fmt.Errorf("replay: event %d: %w", r.rep.Events+1, err)
		}
		r.rep.Events++
		at := eventTime(&ev)
		r.advance(at)
		r.bus(&ev)
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
	// polled are the registry's serial-polled devices (OSDP readers,
	// Modbus modules): the gateway hears them answer their bus's polls
	// every few seconds, signs of life the journal does not hold. down
	// maps a bus that reported bus.fault, until its bus.restored, to the
	// devices on it, which the polls no longer reach.
	polled map[string]*registry.Device
	down   map[string][]string
}

// Event types of a serial bus (drivers/serialline), from the leaf: the
// rules never import the drivers.
const (
	busFault    = event.BusFault
	busRestored = event.BusRestored
)

// findPolled lists the registry's serial-polled devices.
func (r *replayer) findPolled() {
	if r.reg == nil {
		return
	}
	reg := r.reg()
	if reg == nil {
		return
	}
	for _, d := range reg.Devices() {
		if d.OSDP != nil || d.Modbus != nil {
			if r.polled == nil {
				r.polled = make(map[string]*registry.Device)
			}
			r.polled[d.ID] = d
		}
	}
}

// polls gives the engine, at t, the sign of life the gateway takes from
// each polled device answering, unless its bus is down.
func (r *replayer) polls(t time.Time) {
	for id, d := range r.polled {
		if !r.isDown(id) {
			r.e.Alive(id, d, t)
		}
	}
}

func (r *replayer) isDown(id string) bool {
	for _, devs := range r.down {
		if slices.Contains(devs, id) {
			return true
		}
	}
	return false
}

// bus follows bus.fault and bus.restored: a fault names its bus
// (data.bus) and the devices on it (data.devices; at least the event's).
func (r *replayer) bus(ev *event.Event) {
	if len(r.polled) == 0 || (ev.Type != busFault && ev.Type != busRestored) {
		return
	}
	name, _ := ev.Data["bus"].(string)
	if name == "" {
		name = ev.Device
	}
	if ev.Type == busRestored {
		delete(r.down, name)
		return
	}
	if r.down == nil {
		r.down = make(map[string][]string)
	}
	devs := r.down[name]
	if !slices.Contains(devs, ev.Device) {
		devs = append(devs, ev.Device)
	}
	if list, ok := ev.Data["devices"].([]any); ok {
		for _, v := range list {
			if id, ok := v.(string); ok && !slices.Contains(devs, id) {
				devs = append(devs, id)
			}
		}
	}
	r.down[name] = devs
}

// advance fires every deadline up to t, each at its own time, and feeds
// what it derives back through the rules. Polled devices that answer
// their polls are alive up to t first.
func (r *replayer) advance(t time.Time) {
	r.polls(t)
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
