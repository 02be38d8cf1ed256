package scenario

import (
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// DefaultWithin is how long an expect step waits when it names no within.
const DefaultWithin = 5 * time.Second

// Kind is what a step does.
type Kind int

// The kinds of step.
const (
	Publish   Kind = iota + 1 // a device event
	Telemetry                 // a device telemetry sample
	Expect                    // wait for a notification on a phone
	Reply                     // a phone replies to the last alarm it got
)

// Script is a parsed scenario file: steps in time order.
type Script struct {
	File  string
	Steps []Step
}

// Step is one line of a scenario.
type Step struct {
	Line int           // in the file, for messages
	At   time.Duration // offset from the start of the run
	Kind Kind

	Device    string         // Publish, Telemetry
	Event     string         // Publish: the event type
	Data      map[string]any // Publish: optional event data
	Telemetry map[string]any // Telemetry: flat fields

	Phone  string        // Expect, Reply: staff id
	Expect Match         // Expect
	Within time.Duration // Expect: counted from At
	Reply  event.ActionKind
	Note   string // Reply: optional
}

// Where names the step in messages: FILE:LINE.
func (s Step) Where(file string) string { return fmt.Sprintf("%s:%d", file, s.Line) }

// Match is what an expected notification must carry; empty fields match
// anything.
type Match struct {
	Device   string         `yaml:"device"`
	Grid     string         `yaml:"grid"`
	Rule     string         `yaml:"rule"`
	Severity event.Severity `yaml:"severity"`
	Step     *int           `yaml:"step"`
}

// Matches reports whether n has every field m names.
func (m Match) Matches(n event.Notification) bool {
	return (m.Device == "" || m.Device == n.Device) &&
		(m.Grid == "" || m.Grid == n.Grid) &&
		(m.Rule == "" || m.Rule == n.Rule) &&
		(m.Severity == "" || m.Severity == n.Severity) &&
		(m.Step == nil || *m.Step == n.Step)
}

// String renders m the way a scenario file writes it.
func (m Match) String() string {
	s := "{"
	add := func(k, v string) {
		if len(s) > 1 {
			s += ", "
		}
		s += k + ": " + v
	}
	if m.Device != "" {
		add("device", m.Device)
	}
	if m.Grid != "" {
		add("grid", m.Grid)
	}
	if m.Rule != "" {
		add("rule", m.Rule)
	}
	if m.Severity != "" {
		add("severity", string(m.Severity))
	}
	if m.Step != nil {
		add("step", fmt.Sprint(*m.Step))
	}
	return s + "}"
}

// Devices returns the distinct ids of the devices the script publishes
// for, in order of first use.
func (s *Script) Devices() []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range s.Steps {
		if st.Device != "" && !seen[st.Device] {
			seen[st.Device] = true
			out = append(out, st.Device)
		}
	}
	return out
}

// Phones returns the distinct staff ids the script's phones belong to, in
// order of first use.
func (s *Script) Phones() []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range s.Steps {
		if st.Phone != "" && !seen[st.Phone] {
			seen[st.Phone] = true
			out = append(out, st.Phone)
		}
	}
	return out
}
