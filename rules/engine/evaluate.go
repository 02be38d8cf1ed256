package engine

import (
	"fmt"
	"path"
	"strconv"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// Evaluate returns what ev means: a raise trigger for each rule that fires
// on it (a plain rule that matches; a count rule whose window fills; a
// sequence rule whose second event arrives in time), and a clear trigger
// for each rule whose clears list ev's type. Clears are not limited by
// kind or condition, so a device whose kind changed on a registry reload
// can still clear its alarm. Raises come first, in rule order, then
// clears, in rule order.
//
// Event-driven state uses ev.Received as now (ev.TS when Received is 0).
// A device back after being declared offline gets its device.online
// event from the next Tick.
//
// dev and grid are the device and its cell from the current registry;
// either may be nil (then kind-limited rules do not fire, and titles fall
// back to ids). Evaluate does not allocate when nothing fires.
func (e *Engine) Evaluate(ev *event.Event, dev *registry.Device, grid *registry.Grid) []event.Trigger {
	var out []event.Trigger
	if ev.ID > e.lastID {
		e.lastID = ev.ID
	}
	if b := e.byType[ev.Type]; b != nil {
		for _, en := range b.entries {
			out = e.apply(en, ev, dev, grid, out)
		}
		return out
	}
	var last entry
	for i, g := range e.globs {
		if i > 0 && g.entry == last {
			continue // another pattern of a rule that already matched
		}
		if ok, _ := path.Match(g.pattern, ev.Type); ok {
			last = g.entry
			out = e.apply(g.entry, ev, dev, grid, out)
		}
	}
	return out
}

// Alive records a sign of life that is not an event (a telemetry sample, a
// presence message) for every absence rule that watches all event types
// and has no other filter but kinds, devices and grids.
func (e *Engine) Alive(device string, dev *registry.Device, now time.Time) {
	ms := now.UnixMilli()
	for _, r := range e.rules {
		if r.Absence == nil || len(r.Types) > 0 || r.Cond != nil || !e.filters(r, device, dev) {
			continue
		}
		e.alive(r, r.state.absence, device, dev, ms)
	}
}

// apply runs one rule entry on ev and appends any trigger to out.
func (e *Engine) apply(en entry, ev *event.Event, dev *registry.Device, grid *registry.Grid, out []event.Trigger) []event.Trigger {
	r := en.rule
	now := ev.Received
	if now == 0 {
		now = ev.TS
	}
	switch en.role {
	case roleClear:
		return e.clear(r, ev, dev, grid, now, out)
	case roleThen:
		key, ok := e.key(r, ev, dev)
		if ok && r.state.pending.Complete(key, now) {
			return e.raise(r, ev, dev, grid, now, out)
		}
		return out
	case roleHeld:
		return e.held(r, ev, dev, grid, now, out)
	case roleCalm:
		return e.calm(r, ev, dev, grid, out)
	}
	if !e.filters(r, ev.Device, dev) || !e.cond(r, ev, dev) {
		return out
	}
	switch {
	case r.plain():
		return e.raise(r, ev, dev, grid, now, out)
	case r.Count != nil:
		key, ok := e.key(r, ev, dev)
		if ok && r.state.counts.Add(key, now) {
			return e.raise(r, ev, dev, grid, now, out)
		}
	case r.Sequence != nil:
		if key, ok := e.key(r, ev, dev); ok {
			r.state.pending.Start(key, now)
		}
	case r.Absence != nil:
		if ev.Source != event.SourceGateway { // its own verdicts are no sign of life
			e.alive(r, r.state.absence, ev.Device, dev, now)
		}
	}
	return out
}

// filters checks the rule's kinds, devices and grids.
func (e *Engine) filters(r *compiled, device string, dev *registry.Device) bool {
	if len(r.Kinds) > 0 {
		if dev == nil || !containsKind(r.Kinds, dev.Kind) {
			return false
		}
	}
	if r.devices != nil {
		if _, ok := r.devices[device]; !ok {
			return false
		}
	}
	if len(r.Grids) > 0 {
		if dev == nil || !e.inGrids(dev.Grid, r.Grids) {
			return false
		}
	}
	return true
}

func containsKind(kinds []registry.Kind, k registry.Kind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// maxDepth bounds a walk up the grid tree (the tree has five levels; a
// cycle a registry let through must not hang the engine).
const maxDepth = 32

// inGrids reports whether cell lies in the subtree of one of roots. It
// walks up like registry.InSubtree does, without its allocation.
func (e *Engine) inGrids(cell string, roots []string) bool {
	reg := e.registry()
	if reg == nil {
		return false
	}
	for id, depth := cell, 0; id != "" && depth < maxDepth; depth++ {
		g, ok := reg.Grid(id)
		if !ok {
			return false
		}
		for _, root := range roots {
			if g.ID == root {
				return true
			}
		}
		id = g.Parent
	}
	return false
}

// cond runs the rule's when: condition; a run-time error counts as false.
func (e *Engine) cond(r *compiled, ev *event.Event, dev *registry.Device) bool {
	if r.Cond == nil {
		return true
	}
	e.env.Fill(ev, dev, e.zone)
	v, err := e.vm.Run(r.Cond, &e.env)
	if err != nil {
		e.stats.WhenErrors++
		return false
	}
	b, _ := v.(bool)
	return b
}

// key is the state key of ev for rule r; false when a key expression
// failed or gave nothing.
func (e *Engine) key(r *compiled, ev *event.Event, dev *registry.Device) (string, bool) {
	switch r.KeyBy {
	case rulefile.ByDevice:
		return ev.Device, true
	case rulefile.ByGrid:
		if dev == nil {
			return "", false
		}
		return dev.Grid, dev.Grid != ""
	}
	e.env.Fill(ev, dev, e.zone)
	v, err := e.vm.Run(r.KeyExpr, &e.env)
	if err != nil {
		e.stats.WhenErrors++
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, v != ""
	case int:
		return strconv.Itoa(v), true
	case nil:
		return "", false
	}
	return fmt.Sprint(v), true
}

func (r *compiled) trigger(ev *event.Event, dev *registry.Device, grid *registry.Grid, clear bool) event.Trigger {
	return event.Trigger{
		Rule:     r.ID,
		Severity: r.Severity,
		Title:    r.Heading.Render(ev, dev, grid),
		Device:   ev.Device,
		Clear:    clear,
		Event:    *ev,
	}
}
