package scenario

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
)

// CommandMatch is what a command expected on a device must carry: its
// cmd, and of its args those named, with equal values (other args may be
// there too). The empty match takes any command.
type CommandMatch struct {
	Cmd  string         `yaml:"cmd"`
	Args map[string]any `yaml:"args"`
}

// Matches reports whether c has the cmd and every arg m names.
func (m CommandMatch) Matches(c wire.CommandMsg) bool {
	if m.Cmd != "" && m.Cmd != c.Cmd {
		return false
	}
	for k, want := range m.Args {
		got, ok := c.Args[k]
		if !ok || jsonText(want) != jsonText(got) {
			return false
		}
	}
	return true
}

// String renders m the way a scenario file writes it.
func (m CommandMatch) String() string {
	var parts []string
	if m.Cmd != "" {
		parts = append(parts, "cmd: "+m.Cmd)
	}
	if len(m.Args) > 0 {
		parts = append(parts, "args: "+renderArgs(m.Args))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// jsonText compares values as the wire carries them: 120 from a YAML
// file equals 120 decoded from JSON.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// renderArgs writes args in key order, values as JSON.
func renderArgs(args map[string]any) string {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+jsonText(args[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// gotCommand is one command a watched device received.
type gotCommand struct {
	Msg wire.CommandMsg
	At  time.Time
}

// describeCommands lists the commands a device got that no expect took.
func describeCommands(cs []gotCommand, start time.Time) string {
	if len(cs) == 0 {
		return "got none"
	}
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		s := "{cmd: " + c.Msg.Cmd
		if len(c.Msg.Args) > 0 {
			s += ", args: " + renderArgs(c.Msg.Args)
		}
		parts = append(parts, s+fmt.Sprintf("} at +%.3fs", c.At.Sub(start).Seconds()))
	}
	return "got instead: " + strings.Join(parts, ", ")
}
