// Package wire is the MQTT JSON contract (v1, docs/contract.md): topic names under
// a configurable root, the payloads devices and staff phones send, and their
// strict decoding into gateway nouns. The gateway's ingest and the simulator
// both use it, so the two ends cannot drift apart.
package wire

import (
	"strings"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// DefaultRoot is the default topic root.
const DefaultRoot = "gridwatch/v1"

// Topics builds and parses the topics under one root.
type Topics struct{ Root string }

// Event is R/dev/{id}/evt.
func (t Topics) Event(dev string) string { return t.Root + "/dev/" + dev + "/evt" }

// Telemetry is R/dev/{id}/tel.
func (t Topics) Telemetry(dev string) string { return t.Root + "/dev/" + dev + "/tel" }

// State is R/dev/{id}/state.
func (t Topics) State(dev string) string { return t.Root + "/dev/" + dev + "/state" }

// Command is R/dev/{id}/cmd.
func (t Topics) Command(dev string) string { return t.Root + "/dev/" + dev + "/cmd" }

// CommandAck is R/dev/{id}/cmd/ack.
func (t Topics) CommandAck(dev string) string { return t.Root + "/dev/" + dev + "/cmd/ack" }

// Notify is R/staff/{id}/notify.
func (t Topics) Notify(staff string) string { return t.Root + "/staff/" + staff + "/notify" }

// Reply is R/staff/{id}/reply.
func (t Topics) Reply(staff string) string { return t.Root + "/staff/" + staff + "/reply" }

// Alarm is R/alarms/{id}.
func (t Topics) Alarm(id string) string { return t.Root + "/alarms/" + id }

// EventFilters are the subscriptions a gateway needs on an external
// broker for everything but telemetry: device events, presence, command
// acks and staff replies (QoS 1).
func (t Topics) EventFilters() []string {
	return []string{
		t.Root + "/dev/+/evt",
		t.Root + "/dev/+/state",
		t.Root + "/dev/+/cmd/ack",
		t.Root + "/staff/+/reply",
	}
}

// TelemetryFilter is the subscription for telemetry. A gateway takes it on
// a connection of its own, so that telemetry never queues in front of a
// panic press in the broker's outbound queue or the TCP stream.
func (t Topics) TelemetryFilter() string { return t.Root + "/dev/+/tel" }

// Kind is what an inbound topic carries.
type Kind int

// Inbound topic kinds.
const (
	KindUnknown Kind = iota
	KindEvent
	KindTelemetry
	KindState
	KindCommandAck
	KindReply
	KindOutbound // a topic the gateway itself publishes (cmd, notify, alarms)
)

// String names the kind (used as a metric label).
func (k Kind) String() string {
	switch k {
	case KindEvent:
		return "evt"
	case KindTelemetry:
		return "tel"
	case KindState:
		return "state"
	case KindCommandAck:
		return "cmd_ack"
	case KindReply:
		return "reply"
	case KindOutbound:
		return "outbound"
	}
	return "unknown"
}

// Parse splits an inbound topic into its kind and the device or staff id.
// Topics outside the root, or of an unknown shape, give KindUnknown. The id
// is returned as found; callers check it with ValidID.
func (t Topics) Parse(topic string) (Kind, string) {
	rest, ok := strings.CutPrefix(topic, t.Root)
	if !ok || !strings.HasPrefix(rest, "/") {
		return KindUnknown, ""
	}
	parts := strings.Split(rest[1:], "/")
	switch {
	case len(parts) == 3 && parts[0] == "dev":
		switch parts[2] {
		case "evt":
			return KindEvent, parts[1]
		case "tel":
			return KindTelemetry, parts[1]
		case "state":
			return KindState, parts[1]
		case "cmd":
			return KindOutbound, parts[1]
		}
	case len(parts) == 4 && parts[0] == "dev" && parts[2] == "cmd" && parts[3] == "ack":
		return KindCommandAck, parts[1]
	case len(parts) == 3 && parts[0] == "staff":
		switch parts[2] {
		case "reply":
			return KindReply, parts[1]
		case "notify":
			return KindOutbound, parts[1]
		}
	case len(parts) == 2 && parts[0] == "alarms":
		return KindOutbound, parts[1]
	}
	return KindUnknown, ""
}

// ValidID reports whether id matches [A-Za-z0-9._-]{1,64}, the shape of
// device and staff ids (event.ValidID).
func ValidID(id string) bool { return event.ValidID(id) }
