package engine

import (
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Ids of the built-in rules.
const (
	RulePanic          = "panic"
	RuleDuress         = "duress"
	RuleFaceMatch      = "face_match"
	RuleDoorForced     = "door_forced"
	RuleTamper         = "tamper"
	RuleMainsLost      = "mains_lost"
	RuleOffline        = "offline"
	RuleBatteryLow     = "battery_low"
	RuleStreamDegraded = "stream_degraded"
)

// Builtin returns the built-in rule set: the examples of SPEC.md's
// escalation table that need no state. The panic button fires from light
// boxes and from I/O modules (a light box wired through a Modbus I/O module
// is registered as kind io); face matches only from cameras. Every call
// returns a fresh slice the caller may change.
func Builtin() []Rule {
	return []Rule{
		{ID: RulePanic, Types: []string{event.ButtonPressed}, Kinds: []registry.Kind{registry.Lightbox, registry.IO},
			Severity: event.Red, Title: "{{device}} 一键报警"},
		// Silent: the box stays dark and quiet; that is the command side's
		// business, the alarm itself pages like any red one.
		{ID: RuleDuress, Types: []string{event.ButtonDuress}, Severity: event.Red, Title: "{{device}} 胁迫报警"},
		{ID: RuleFaceMatch, Types: []string{event.FaceMatch}, Kinds: []registry.Kind{registry.Camera},
			Severity: event.Red, Title: "{{device}} 布控人员比中"},
		{ID: RuleDoorForced, Types: []string{event.DoorForced}, Severity: event.Orange, Title: "{{device}} 门被强行打开"},
		{ID: RuleTamper, Types: []string{event.TamperOpen}, Severity: event.Orange, Title: "{{device}} 防拆报警",
			Clears: []string{event.TamperClosed}},
		{ID: RuleMainsLost, Types: []string{event.PowerMainsLost}, Severity: event.Yellow, Title: "{{device}} 市电中断",
			Clears: []string{event.PowerMainsRestored}},
		{ID: RuleOffline, Types: []string{event.DeviceOffline}, Severity: event.Yellow, Title: "{{device}} 设备离线",
			Clears: []string{event.DeviceOnline}},
		{ID: RuleBatteryLow, Types: []string{event.BatteryLow}, Severity: event.Blue, Title: "{{device}} 电池电量低"},
		{ID: RuleStreamDegraded, Types: []string{event.StreamDegraded}, Severity: event.Blue, Title: "{{device}} 视频流质量下降"},
	}
}
