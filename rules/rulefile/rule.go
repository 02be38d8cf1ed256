package rulefile

import (
	"fmt"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Rule is one rule of a rule file. A plain rule raises an alarm on every
// matching event; a rule with Count, Sequence or Absence keeps state
// (exactly one of the three, or none).
type Rule struct {
	// ID names the rule in alarms, metrics and notifications.
	ID string `yaml:"id" json:"id"`
	// Types are the event types that raise the rule's alarm, exact
	// ("door.forced") or glob ("door.*", "*"). An absence rule with no
	// types watches every event of the device.
	Types []string `yaml:"types" json:"types"`
	// Kinds limits the rule to devices of these kinds; empty means any.
	Kinds []registry.Kind `yaml:"kinds,omitempty" json:"kinds,omitempty"`
	// Devices limits the rule to these device ids; empty means any.
	Devices []string `yaml:"devices,omitempty" json:"devices,omitempty"`
	// Grids limits the rule to devices in these cells or anywhere below
	// them; empty means anywhere.
	Grids []string `yaml:"grids,omitempty" json:"grids,omitempty"`
	// When is a condition in the expr language over the names of Env
	// (type, data, ts, device, hour, minute, weekday), compiled at load.
	When string `yaml:"when,omitempty" json:"when,omitempty"`
	// Severity is the colour of the alarm.
	Severity event.Severity `yaml:"severity,omitempty" json:"severity,omitempty"`
	// Title is the alarm's Chinese title. It may hold the placeholders
	// {{device}} (the device's name, else its id), {{grid}} (the cell's
	// name, else its id) and {{location}} ("lat,lon", empty if unknown).
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	// Clears are event types (exact or glob) that close this rule's open
	// alarm on the same device (e.g. tamper.closed clears tamper.open).
	Clears []string `yaml:"clears,omitempty" json:"clears,omitempty"`
	// Count raises only when enough matching events fall in a window.
	Count *Count `yaml:"count,omitempty" json:"count,omitempty"`
	// Sequence raises when a matching event is followed by another.
	Sequence *Sequence `yaml:"sequence,omitempty" json:"sequence,omitempty"`
	// Absence supervises devices: it raises nothing itself but emits
	// device.offline when a device falls silent and device.online when it
	// speaks again.
	Absence *Absence `yaml:"absence,omitempty" json:"absence,omitempty"`
	// For makes a rule with Clears raise only when its condition has held
	// that long: a matching event arms a deadline on the device, a
	// clearing event before it disarms it (and nothing is raised or
	// cleared), and at the deadline the alarm is raised ("mains lost for
	// 5 minutes"). Not with count, sequence or absence.
	For Duration `yaml:"for,omitempty" json:"for,omitempty"`
	// Flap damps a rule with clears whose alarm toggles too often on one
	// device; see Flap.
	Flap *Flap `yaml:"flap,omitempty" json:"flap,omitempty"`
	// InhibitedBy mutes this rule's raises (Trigger.Muted "inhibited by
	// ID") while an alarm of one of the named rules is raised and not
	// cleared on the same device, or anywhere in the same cell. The named
	// rules need clears. A rule file may give one mapping or a list.
	InhibitedBy Inhibitions `yaml:"inhibited_by,omitempty" json:"inhibited_by,omitempty"`
	// Commands are sent with each raise that is not muted (Trigger.
	// Commands): strobe and siren on the box, clips from linked cameras.
	// A rule on button.duress may not command the box itself.
	Commands []CommandSpec `yaml:"commands,omitempty" json:"commands,omitempty"`
}

// CommandSpec is a command a rule sends when it raises.
type CommandSpec struct {
	// To is "self" (the device that raised) or "linked_cameras" (the
	// device's registry cameras and every camera of its cell).
	To string `yaml:"to" json:"to"`
	// Cmd is the device command: strobe, siren, clip, ...
	Cmd string `yaml:"cmd" json:"cmd"`
	// Args go with it: {seconds: 120}, {before_s: 10, after_s: 30}.
	Args map[string]any `yaml:"args,omitempty" json:"args,omitempty"`
}

// Targets of CommandSpec.To.
const (
	ToSelf          = "self"
	ToLinkedCameras = "linked_cameras"
)

// Inhibit names rules whose raised alarms mute another rule, and where.
type Inhibit struct {
	Rules []string `yaml:"rules" json:"rules"`
	// Scope is "device" (the default: the same device) or "grid" (any
	// device of the same cell).
	Scope string `yaml:"scope,omitempty" json:"scope,omitempty"`
}

// Inhibitions is a list of Inhibit; in YAML a single mapping is a list
// of one.
type Inhibitions []Inhibit

// YAMLListOfOne lets a rule file give one Inhibit as a mapping.
func (Inhibitions) YAMLListOfOne() {}

// Flap is "more than AtMost raise/clear toggles of the rule's alarm on
// one device within Within": the device is flapping. The toggle that
// crosses the limit raises one maintenance alarm, rule id "<id>_flapping"
// (blue unless Severity says otherwise), and from then on the rule's own
// raises on that device are muted (Trigger.Muted "flapping") until no
// toggle came for Within. Then the flapping alarm is cleared and, if the
// rule's alarm is still raised, it is raised once more, unmuted.
type Flap struct {
	AtMost   int            `yaml:"at_most" json:"at_most"`
	Within   Duration       `yaml:"within" json:"within"`
	Severity event.Severity `yaml:"severity,omitempty" json:"severity,omitempty"`
	// Title of the flapping alarm; default "{{device}} 告警反复切换".
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
}

// FlapSuffix ends the rule id of a flapping alarm.
const FlapSuffix = "_flapping"

// Count is "at least AtLeast matching events on one key within Within".
// The window is inclusive: events exactly Within apart share a window.
// After it fires the key starts afresh.
type Count struct {
	AtLeast int      `yaml:"at_least" json:"at_least"`
	Within  Duration `yaml:"within" json:"within"`
	// By is the key: "device" (the default), "grid", or an expression
	// over Env such as `data.card`.
	By string `yaml:"by,omitempty" json:"by,omitempty"`
}

// Sequence is "a matching event, then an event of one of the Then types on
// the same key within Within". The rule's filters (kinds, devices, grids,
// when) apply to the first event; the second is matched by type and key.
type Sequence struct {
	Then   []string `yaml:"then" json:"then"`
	Within Duration `yaml:"within" json:"within"`
	// By is the key, as for Count; "grid" links a panic box to the
	// cameras of its cell.
	By string `yaml:"by,omitempty" json:"by,omitempty"`
}

// Absence declares a device offline when no matching event (nor heartbeat,
// see the engine's Alive) came from it for After, or, when After is zero, for
// its registry heartbeat interval times Factor.
type Absence struct {
	// Factor multiplies the device's heartbeat interval; 1.0 to 1.5,
	// default DefaultFactor.
	Factor float64 `yaml:"factor,omitempty" json:"factor,omitempty"`
	// After is a fixed silence instead of heartbeat × factor.
	After Duration `yaml:"after,omitempty" json:"after,omitempty"`
}

// DefaultFactor is the heartbeat multiple after which a silent device is
// offline when an absence rule names none: between the 1.0 "never
// earlier" and the 1.5 "at the latest" of the contract's supervision rule (EN 50136 style), leaving room for the
// owner's tick.
const DefaultFactor = 1.25

// Duration is a time.Duration written as "60s", "2m" or "1h30m" in rule
// files.
type Duration time.Duration

// UnmarshalScalar reads a duration string.
func (d *Duration) UnmarshalScalar(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: want e.g. 60s, 2m, 1h30m", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// MarshalText writes the duration as a string (for JSON).
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a duration string (for JSON).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: want e.g. 60s, 2m, 1h30m", b)
	}
	*d = Duration(v)
	return nil
}
