// Package engine runs the rules: it turns device events into alarm
// decisions. The rules come from a rule file (rules/rulefile: the language,
// its checks and its test cases), which names what each rule matches
// (event type, exact or glob; device kind; device id; grid subtree; a
// compiled when: condition over the event, the device and the time of
// day), what state it keeps (a count window, a sequence, or absence
// supervision), and what it does (raise an alarm of a colour with a
// Chinese title, or clear it). The engine keeps that state — windows,
// sequences, supervision deadlines, for: and flap: lifecycles,
// inhibition — writes and restores it (Snapshot, Restore), carries it over
// a reload, replays recorded events (Replay), and marks raises that a
// silence mutes (rules/silence; operators' silences are asked of a
// silence.Set, not kept here).
//
// An Engine has one owner: the goroutine that hands it events in journal
// order (Evaluate) and calls Tick for deadlines. Neither method may be
// called concurrently with another. Time is an input: event-driven logic
// uses the event's Received time, deadlines the now given to Tick.
package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
	"github.com/gridwatch/gridwatch/rules/silence"
)

// Config is what Compile needs.
type Config struct {
	// Rules is the rule set, in the order triggers are made.
	Rules []rulefile.Rule
	// Registry returns the current registry; rules with grids need it to
	// walk the grid tree. May be nil when no rule names grids.
	Registry func() *registry.Registry
	// Zone is where the hour, minute and weekday of conditions are told;
	// nil means China Standard Time (UTC+8).
	Zone *time.Location
	// MaxKeys bounds the keys each stateful rule keeps (count windows,
	// started sequences); 0 means DefaultMaxKeys.
	MaxKeys int
	// Silences are the rule file's silences (maintenance windows);
	// rulefile.File.Silences.
	Silences []silence.Silence
	// Operators are the silences operators set at run time, asked on
	// every raise (a *silence.Set); nil means none. Reload keeps the
	// engine's when the new Config has none.
	Operators Operators
}

// Operators is what the engine asks of the operators' silences: those in
// force, on every raise, and, when a snapshot written by an earlier
// version carries silences, to adopt them.
type Operators interface {
	Matchers() []*silence.Matcher
	Adopt(s silence.Silence) error
}

var _ Operators = (*silence.Set)(nil)

// DefaultMaxKeys is the per-rule key limit when Config.MaxKeys is 0.
const DefaultMaxKeys = 200_000

// Engine evaluates events against a compiled rule set and keeps the state
// of its stateful rules. It has a single owner; see the package comment.
type Engine struct {
	zone     *time.Location
	registry func() *registry.Registry
	rules    []*compiled
	byType   map[string]*bucket
	globs    []globEntry // for types no rule names exactly

	vm     vm.VM
	env    rulefile.Env
	outbox []event.Event // derived events waiting for Tick
	// sweepNext is the rule the next sweep starts with.
	sweepNext int
	stats     Stats
	lastID    uint64 // the highest event ID evaluated

	maxKeys int

	fileSilences []*silence.Matcher // Config.Silences
	operators    Operators          // Config.Operators; may be nil
	cams         cameraIndex
}

// Stats counts what the engine did that a metric should show.
type Stats struct {
	// WhenErrors counts conditions or keys that failed at run time (e.g.
	// data.score missing); the rule did not fire.
	WhenErrors uint64
	// Dropped counts events a stateful rule could not record because its
	// key limit was reached.
	Dropped uint64
	// Keys is the number of keys held now, over every stateful rule.
	Keys int
}

// New compiles rules with the default configuration (no registry, so no
// rule may name grids).
func New(rules []rulefile.Rule) (*Engine, error) {
	return Compile(Config{Rules: rules})
}

// Compile checks every rule (rulefile.Check) and builds the engine. It
// reports every problem at once, each as "rule N (ID): what".
func Compile(cfg Config) (*Engine, error) {
	zone := cfg.Zone
	if zone == nil {
		zone = time.FixedZone("CST", 8*3600)
	}
	maxKeys := cfg.MaxKeys
	switch {
	case maxKeys == 0:
		maxKeys = DefaultMaxKeys
	case maxKeys < 0:
		return nil, fmt.Errorf("rules: MaxKeys %d: want 0 (the default) or more", maxKeys)
	}
	e := &Engine{zone: zone, registry: cfg.Registry, byType: make(map[string]*bucket), maxKeys: maxKeys,
		operators: cfg.Operators}
	var errs []error
	checked, err := rulefile.Check(cfg.Rules)
	if err != nil {
		errs = append(errs, err)
	}
	for i, r := range cfg.Rules {
		if len(r.Grids) > 0 && cfg.Registry == nil {
			errs = append(errs, fmt.Errorf("rule %d (%s): grids need the registry: Config.Registry is nil", i, r.ID))
		}
	}
	for _, ch := range checked {
		c := newCompiled(ch)
		st, err := newRuleState(c, maxKeys)
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %d (%s): %w", ch.Index, ch.ID, err))
			continue
		}
		c.state = st
		e.rules = append(e.rules, c)
	}
	for _, s := range cfg.Silences {
		m, err := silence.Compile(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e.fileSilences = append(e.fileSilences, m)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("rules: %w", errors.Join(errs...))
	}
	e.index()
	e.resolveInhibitors()
	return e, nil
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	for _, r := range e.rules {
		if r.state != nil {
			s.Keys += r.state.keys()
			s.Dropped += r.state.dropped()
		}
	}
	return s
}

// LastEvent is the highest event ID Evaluate has seen (restored by
// Restore): after a restart the owner feeds the journal from the event
// after it.
func (e *Engine) LastEvent() uint64 { return e.lastID }

// Rules returns the ids of the compiled rules, in order.
func (e *Engine) Rules() []string {
	ids := make([]string, len(e.rules))
	for i, r := range e.rules {
		ids[i] = r.ID
	}
	return ids
}
