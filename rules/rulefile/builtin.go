package rulefile

import (
	_ "embed"
	"fmt"
)

// Ids of the built-in rules.
const (
	RulePanic           = "panic"
	RuleDuress          = "duress"
	RuleFaceMatch       = "face_match"
	RulePanicCameraDark = "panic_camera_dark"
	RuleDoorForced      = "door_forced"
	RuleTamper          = "tamper"
	RuleDeniedBurst     = "access_denied_burst"
	RuleMainsLost       = "mains_lost"
	RuleOffline         = "offline"
	RuleSupervision     = "supervision"
	RuleBatteryLow      = "battery_low"
	RuleStreamDegraded  = "stream_degraded"
	RuleDeviceFlooding  = "device_flooding"
)

//go:embed builtin.yaml
var builtinYAML []byte

// BuiltinFile parses the built-in rule file (builtin.yaml, embedded): the
// examples of the default escalation table (docs/config.md), with their test cases.
func BuiltinFile() (*File, error) {
	return ParseFile("builtin.yaml", builtinYAML)
}

// Builtin returns the built-in rules. Every call returns a fresh slice the
// caller may change. The embedded file is checked by the package's tests,
// so a broken one never ships; Builtin panics if it does.
func Builtin() []Rule {
	f, err := BuiltinFile()
	if err != nil {
		panic(fmt.Sprintf("rulefile: built-in rules: %v", err))
	}
	return f.Rules
}
