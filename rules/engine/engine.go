// Package engine turns device events into alarm decisions: each Rule names
// the event types (and device kinds) it fires on, the colour of the alarm
// it raises, and the event types that clear that alarm again. This
// foundation version holds stateless rules only; stateful ones (windows,
// counts) grow behind the same Evaluate call.
package engine

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Rule is one stateless rule.
type Rule struct {
	// ID names the rule in alarms, metrics and notifications.
	ID string `yaml:"id" json:"id"`
	// Types are the event types that raise the rule's alarm.
	Types []string `yaml:"types" json:"types"`
	// Kinds limits the rule to devices of these kinds; empty means any.
	Kinds []registry.Kind `yaml:"kinds,omitempty" json:"kinds,omitempty"`
	// Severity is the colour of the alarm.
	Severity event.Severity `yaml:"severity" json:"severity"`
	// Title is the alarm's Chinese title. It may hold the placeholders
	// {{device}} (the device's name, else its id), {{grid}} (the cell's
	// name, else its id) and {{location}} ("lat,lon", empty if unknown).
	Title string `yaml:"title" json:"title"`
	// Clears are event types that close this rule's open alarm on the same
	// device (e.g. tamper.closed clears tamper.open).
	Clears []string `yaml:"clears,omitempty" json:"clears,omitempty"`
}

// Engine evaluates events against a fixed rule set. It is read-only after
// New, so it is safe for concurrent use; swap a whole Engine to change
// rules.
type Engine struct {
	byType map[string]*bucket
}

// bucket is what one event type does: the rules it raises and clears.
type bucket struct {
	raise []*compiled
	clear []*compiled
}

type compiled struct {
	Rule
	title title
}

// New checks the rules and indexes them by event type. It reports every
// problem at once: empty or duplicate ids, invalid severity or kind, no
// types, empty type names, a type that both raises and clears a rule, and
// titles with unknown placeholders.
func New(rules []Rule) (*Engine, error) {
	e := &Engine{byType: make(map[string]*bucket)}
	var errs []error
	seen := make(map[string]bool, len(rules))
	for i := range rules {
		r := rules[i]
		c, rerrs := compile(r)
		where := fmt.Sprintf("rule %d (%s)", i, r.ID)
		if r.ID != "" && seen[r.ID] {
			rerrs = append(rerrs, errors.New("duplicate id"))
		}
		seen[r.ID] = true
		for _, err := range rerrs {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		if len(rerrs) > 0 {
			continue
		}
		for _, typ := range r.Types {
			e.at(typ).raise = append(e.at(typ).raise, c)
		}
		for _, typ := range r.Clears {
			e.at(typ).clear = append(e.at(typ).clear, c)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("rules: %w", errors.Join(errs...))
	}
	return e, nil
}

func (e *Engine) at(typ string) *bucket {
	b := e.byType[typ]
	if b == nil {
		b = new(bucket)
		e.byType[typ] = b
	}
	return b
}

func compile(r Rule) (*compiled, []error) {
	var errs []error
	if r.ID == "" {
		errs = append(errs, errors.New("empty id"))
	}
	if !r.Severity.Valid() {
		errs = append(errs, fmt.Errorf("severity %q: want red, orange, yellow or blue", r.Severity))
	}
	if len(r.Types) == 0 {
		errs = append(errs, errors.New("no event types"))
	}
	for _, typ := range r.Types {
		if typ == "" {
			errs = append(errs, errors.New("empty event type"))
		}
		if slices.Contains(r.Clears, typ) {
			errs = append(errs, fmt.Errorf("event type %q both raises and clears", typ))
		}
	}
	for _, typ := range r.Clears {
		if typ == "" {
			errs = append(errs, errors.New("empty clearing event type"))
		}
	}
	for _, k := range r.Kinds {
		if !k.Valid() {
			errs = append(errs, fmt.Errorf("device kind %q: want lightbox, camera, reader or io", k))
		}
	}
	ttl, err := parseTitle(r.Title)
	if err != nil {
		errs = append(errs, err)
	}
	r.Types = slices.Clone(r.Types)
	r.Kinds = slices.Clone(r.Kinds)
	r.Clears = slices.Clone(r.Clears)
	return &compiled{Rule: r, title: ttl}, errs
}

// Evaluate returns what ev means: a raise Trigger for each rule that fires
// on ev.Type (and on the device's kind, for rules limited to kinds), and a
// Clear trigger for each rule whose Clears lists ev.Type. Clears are not
// limited by kind, so a device whose kind changed on a registry reload can
// still clear its alarm.
//
// dev and grid are the device and its cell from the current registry;
// either may be nil (then kind-limited rules do not fire, and titles fall
// back to ids). Evaluate does not allocate when nothing matches.
func (e *Engine) Evaluate(ev *event.Event, dev *registry.Device, grid *registry.Grid) []event.Trigger {
	b := e.byType[ev.Type]
	if b == nil {
		return nil
	}
	var out []event.Trigger
	for _, r := range b.raise {
		if !r.fires(dev) {
			continue
		}
		if out == nil {
			out = make([]event.Trigger, 0, len(b.raise)+len(b.clear))
		}
		out = append(out, r.trigger(ev, dev, grid, false))
	}
	for _, r := range b.clear {
		if out == nil {
			out = make([]event.Trigger, 0, len(b.clear))
		}
		out = append(out, r.trigger(ev, dev, grid, true))
	}
	return out
}

func (r *compiled) fires(dev *registry.Device) bool {
	if len(r.Kinds) == 0 {
		return true
	}
	return dev != nil && slices.Contains(r.Kinds, dev.Kind)
}

func (r *compiled) trigger(ev *event.Event, dev *registry.Device, grid *registry.Grid, clear bool) event.Trigger {
	return event.Trigger{
		Rule:     r.ID,
		Severity: r.Severity,
		Title:    r.title.render(ev, dev, grid),
		Device:   ev.Device,
		Clear:    clear,
		Event:    *ev,
	}
}
