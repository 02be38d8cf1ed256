package rulefile

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"go.yaml.in/yaml/v3"
)

// Case is a test case a rule file carries: events in, alarms expected.
// Times are offsets from Start.
type Case struct {
	Name string `yaml:"name"`
	// Start is when the case begins (RFC 3339); default DefaultStart.
	Start string `yaml:"start,omitempty"`
	// Until, when later than the last event, runs deadlines on to
	// Start+Until.
	Until  Duration    `yaml:"until,omitempty"`
	Events []CaseEvent `yaml:"events"`
	// Expect is every trigger the events must make, in order; any other
	// trigger fails the case.
	Expect []Expect `yaml:"expect"`
}

// DefaultStart is when a case without start: begins: a Monday, 10:00
// China Standard Time.
const DefaultStart = "2026-01-05T10:00:00+08:00"

// CaseEvent is one event of a case, received at Start+At.
type CaseEvent struct {
	At     Duration       `yaml:"at"`
	Device string         `yaml:"device"`
	Type   string         `yaml:"type"`
	Data   map[string]any `yaml:"data,omitempty"`
	// TS is the device's own time as an offset from Start; default At.
	TS     *Duration    `yaml:"ts,omitempty"`
	Source event.Source `yaml:"source,omitempty"`
}

// Expect is one trigger a case expects. Empty fields are not checked,
// except Clear, Muted and Test.
type Expect struct {
	At       *Duration      `yaml:"at,omitempty"`
	Rule     string         `yaml:"rule"`
	Device   string         `yaml:"device"`
	Severity event.Severity `yaml:"severity,omitempty"`
	Title    string         `yaml:"title,omitempty"`
	Clear    bool           `yaml:"clear,omitempty"`
	// Muted expects the raise recorded but paging nobody (Trigger.Muted
	// set); Test expects it made in test mode.
	Muted bool `yaml:"muted,omitempty"`
	Test  bool `yaml:"test,omitempty"`
	// Commands, when given, are the trigger's commands, each "cmd
	// device" (e.g. "strobe lb-0001"), in order; [] expects none.
	Commands []string `yaml:"commands,omitempty"`
}

// tests decodes and checks the test cases.
func (p *parser) tests(n *yaml.Node, rules []Rule, fixture *registry.Registry) []Case {
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, "", "tests: want a list")
		return nil
	}
	var out []Case
	for i, item := range n.Content {
		subject := scalarKey(item, "name")
		if subject == "" {
			subject = fmt.Sprintf("test %d", i)
		}
		subject = "test " + strings.TrimPrefix(subject, "test ")
		var c Case
		if _, bad := p.decode(item, &c, subject); !judged(bad) || item.Kind != yaml.MappingNode {
			continue
		}
		for _, err := range c.check(rules, fixture) {
			p.add(item.Line, subject, "%v", err)
		}
		out = append(out, c)
	}
	return out
}

// check checks the case against the file's rules and, when the file has
// a fixture, that every device it names is in it (a case that names a
// device its fixture lacks would test an unknown device by mistake).
func (c *Case) check(rules []Rule, fixture *registry.Registry) []error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("no name"))
	}
	if _, err := c.start(); err != nil {
		errs = append(errs, err)
	}
	if len(c.Events) == 0 {
		errs = append(errs, errors.New("no events"))
	}
	for i, ev := range c.Events {
		if ev.Device == "" || ev.Type == "" {
			errs = append(errs, fmt.Errorf("event %d: want a device and a type", i))
		} else if fixture != nil && !inFixture(fixture, ev.Device) {
			errs = append(errs, fmt.Errorf("event %d: device %q is not in the fixture", i, ev.Device))
		}
	}
	for i, x := range c.Expect {
		if !slices.ContainsFunc(rules, func(r Rule) bool {
			return r.ID == x.Rule || (r.Flap != nil && r.ID+FlapSuffix == x.Rule)
		}) {
			errs = append(errs, fmt.Errorf("expect %d: no rule %q in this file", i, x.Rule))
		}
		if x.Device == "" {
			errs = append(errs, fmt.Errorf("expect %d: want a device", i))
		} else if fixture != nil && !inFixture(fixture, x.Device) {
			errs = append(errs, fmt.Errorf("expect %d: device %q is not in the fixture", i, x.Device))
		}
	}
	return errs
}

func inFixture(reg *registry.Registry, id string) bool {
	_, dev := reg.Device(id)
	_, grid := reg.Grid(id)
	return dev || grid
}

func (c *Case) start() (time.Time, error) {
	s := c.Start
	if s == "" {
		s = DefaultStart
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("start %q: want RFC 3339, e.g. %s", c.Start, DefaultStart)
	}
	return t, nil
}

// Decision is one trigger a replay made, and when (the Received time of
// the event that made it, in the engine's zone).
type Decision struct {
	At      time.Time
	Trigger event.Trigger
}

// Replayer runs events, in order, through a fresh engine built from a
// file's rules and silences, as the gateway would (deadlines up to each
// event's time fire before it), then fires deadlines up to until (a zero
// until stops at the last event), and returns every decision made. The
// rule engine provides it (engine.Cases), so the file language does not
// depend on the runtime.
type Replayer func(f *File, events iter.Seq2[event.Event, error], until time.Time) ([]Decision, error)

// Run replays the case with replay and returns an error that lists every
// difference between the triggers made and those expected.
func (f *File) Run(c Case, replay Replayer) error {
	start, err := c.start()
	if err != nil {
		return err
	}
	events := func(yield func(event.Event, error) bool) {
		for i, ce := range c.Events {
			at := start.Add(time.Duration(ce.At))
			ts := at
			if ce.TS != nil {
				ts = start.Add(time.Duration(*ce.TS))
			}
			ev := event.Event{ID: uint64(i + 1), Device: ce.Device, Type: ce.Type, Data: ce.Data,
				TS: ts.UnixMilli(), Received: at.UnixMilli(), Source: ce.Source}
			if !yield(ev, nil) {
				return
			}
		}
	}
	var until time.Time
	if c.Until > 0 {
		until = start.Add(time.Duration(c.Until))
	}
	got, err := replay(f, events, until)
	if err != nil {
		return fmt.Errorf("test %s: %w", c.Name, err)
	}
	return c.compare(start, got)
}

// RunAll runs every case of the file and returns the failures, joined,
// each as "test case NAME failed: ...".
func (f *File) RunAll(replay Replayer) error {
	var errs []error
	for _, c := range f.Tests {
		if err := f.Run(c, replay); err != nil {
			errs = append(errs, fmt.Errorf("test case %s failed: %w", c.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (c *Case) compare(start time.Time, got []Decision) error {
	var errs []error
	for i := range max(len(got), len(c.Expect)) {
		switch {
		case i >= len(got):
			errs = append(errs, fmt.Errorf("missing trigger %d: %s", i, c.Expect[i].String()))
		case i >= len(c.Expect):
			errs = append(errs, fmt.Errorf("unexpected trigger %d: %s", i, got[i].String()))
		default:
			if !c.Expect[i].matches(start, got[i]) {
				errs = append(errs, fmt.Errorf("trigger %d: got %s, want %s", i, got[i].String(), c.Expect[i].String()))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("test %s: %w", c.Name, errors.Join(errs...))
	}
	return nil
}

func (x Expect) matches(start time.Time, d Decision) bool {
	t := d.Trigger
	return t.Rule == x.Rule && t.Device == x.Device && t.Clear == x.Clear &&
		(t.Muted != "") == x.Muted && t.Test == x.Test &&
		(x.At == nil || d.At.Equal(start.Add(time.Duration(*x.At)))) &&
		(x.Severity == "" || t.Severity == x.Severity) && (x.Title == "" || t.Title == x.Title) &&
		(x.Commands == nil || slices.Equal(x.Commands, CommandList(t.Commands)))
}

// CommandList formats commands as a case writes them: "cmd device".
func CommandList(cmds []event.Command) []string {
	out := make([]string, 0, len(cmds))
	for _, c := range cmds {
		out = append(out, c.Cmd+" "+c.Device)
	}
	return out
}

// String formats the expectation.
func (x Expect) String() string {
	verb := "raise"
	if x.Clear {
		verb = "clear"
	}
	at := "any time"
	if x.At != nil {
		at = "+" + time.Duration(*x.At).String()
	}
	s := fmt.Sprintf("%s %s %s %s on %s", at, verb, x.Severity, x.Rule, x.Device)
	if x.Muted {
		s += " muted"
	}
	if x.Test {
		s += " test"
	}
	if x.Commands != nil {
		s += fmt.Sprintf(" commands %q", x.Commands)
	}
	return s
}

// String formats the decision as one line of a dry run's output.
func (d Decision) String() string {
	verb := "raise"
	if d.Trigger.Clear {
		verb = "clear"
	}
	s := fmt.Sprintf("%s %s %-6s %s %s %q (event %d %s)", d.At.Format("2006-01-02T15:04:05.000Z07:00"), verb,
		d.Trigger.Severity, d.Trigger.Rule, d.Trigger.Device, d.Trigger.Title, d.Trigger.Event.ID, d.Trigger.Event.Type)
	if d.Trigger.Muted != "" {
		s += " muted: " + d.Trigger.Muted
	}
	if len(d.Trigger.Commands) > 0 {
		s += fmt.Sprintf(" commands %q", CommandList(d.Trigger.Commands))
	}
	return s
}
