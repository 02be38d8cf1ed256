package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// DefaultWithin is how long an expect step waits when it names no within.
const DefaultWithin = 5 * time.Second

// Kind is what a step does.
type Kind int

// The kinds of step.
const (
	Publish       Kind = iota + 1 // a device event
	Telemetry                     // a device telemetry sample
	Expect                        // wait for a notification on a phone
	Reply                         // a phone replies to the last alarm it got
	ExpectCommand                 // wait for a command sent to a device
	Broadcast                     // send an operator's broadcast through the HTTP API
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

	Phone   string        // Expect, Reply: staff id
	Expect  Match         // Expect
	Command CommandMatch  // ExpectCommand (Device is the device)
	Within  time.Duration // Expect, ExpectCommand: counted from At
	// None turns an Expect or ExpectCommand around (expect_none): nothing
	// matching may arrive until At+Within.
	None  bool
	Reply event.ActionKind
	Note  string // Reply: optional

	Broadcast BroadcastMsg // Broadcast
}

// BroadcastMsg is an operator's broadcast: text to the subtree under
// grid ("" the whole site).
type BroadcastMsg struct {
	Grid string `yaml:"grid"`
	Text string `yaml:"text"`
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
	// Kind is "alarm" (an alarm's page) or "broadcast" (an operator's
	// message); Text must be part of a broadcast's text.
	Kind string `yaml:"kind"`
	Text string `yaml:"text"`
}

// The kinds of notification an expect may name.
const (
	KindAlarm     = "alarm"
	KindBroadcast = "broadcast"
)

// notificationKind is "alarm" or "broadcast".
func notificationKind(n event.Notification) string {
	if n.Kind == "" {
		return KindAlarm
	}
	return n.Kind
}

// Matches reports whether n has every field m names.
func (m Match) Matches(n event.Notification) bool {
	return (m.Device == "" || m.Device == n.Device) &&
		(m.Grid == "" || m.Grid == n.Grid) &&
		(m.Rule == "" || m.Rule == n.Rule) &&
		(m.Severity == "" || m.Severity == n.Severity) &&
		(m.Step == nil || *m.Step == n.Step) &&
		(m.Kind == "" || m.Kind == notificationKind(n)) &&
		(m.Text == "" || strings.Contains(n.Text, m.Text))
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
	if m.Kind != "" {
		add("kind", m.Kind)
	}
	if m.Text != "" {
		add("text", strconv.Quote(m.Text))
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

// CommandDevices returns the distinct ids of the devices whose commands
// a step expects, in order of first use.
func (s *Script) CommandDevices() []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range s.Steps {
		if st.Kind == ExpectCommand && !seen[st.Device] {
			seen[st.Device] = true
			out = append(out, st.Device)
		}
	}
	return out
}

// Broadcasts reports whether the script sends broadcasts (it then needs
// the gateway's HTTP API).
func (s *Script) Broadcasts() bool {
	for _, st := range s.Steps {
		if st.Kind == Broadcast {
			return true
		}
	}
	return false
}
