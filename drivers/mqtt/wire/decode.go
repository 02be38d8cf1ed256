package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Limits on what a payload may carry.
const (
	maxTypeLen   = 64
	maxFields    = 64
	maxNoteLen   = 2000
	maxFieldName = 64
	// maxTS bounds device timestamps to years before 2100 in Unix ms.
	maxTS = 4102444800000
)

func reject(reason event.Reason, format string, args ...any) error {
	return &event.Reject{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// object checks that payload is one JSON object and splits it into fields.
func object(payload []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, reject(event.Malformed, "payload is a JSON %s, want an object", ute.Value)
		}
		return nil, reject(event.Malformed, "payload is not JSON: %v", err)
	}
	if m == nil {
		return nil, reject(event.Malformed, "payload is null, want an object")
	}
	return m, nil
}

// integer decodes an optional non-negative integer field.
func integer(m map[string]json.RawMessage, key string, max int64) (int64, bool, error) {
	raw, ok := m[key]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return 0, false, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, false, reject(event.BadType, "%q must be an integer, got %s", key, clip(raw))
	}
	v, err := n.Int64()
	if err != nil || v < 0 || v > max {
		return 0, false, reject(event.BadType, "%q must be an integer in 0..%d, got %s", key, max, clip(raw))
	}
	return v, true, nil
}

// text decodes a string field.
func text(m map[string]json.RawMessage, key string, required bool) (string, error) {
	raw, ok := m[key]
	if !ok || bytes.Equal(raw, []byte("null")) {
		if required {
			return "", reject(event.BadType, "%q is required", key)
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", reject(event.BadType, "%q must be a string, got %s", key, clip(raw))
	}
	return s, nil
}

// DecodeEvent decodes an evt payload of device dev received at nowMS. A
// missing ts means gateway time. Errors are *event.Reject.
func DecodeEvent(dev string, payload []byte, nowMS int64) (event.Event, error) {
	m, err := object(payload)
	if err != nil {
		return event.Event{}, err
	}
	typ, err := text(m, "type", true)
	if err != nil {
		return event.Event{}, err
	}
	if !ValidType(typ) {
		return event.Event{}, reject(event.BadType, "\"type\" %q is not a dotted lower-case event type", clipString(typ))
	}
	ts, hasTS, err := integer(m, "ts", maxTS)
	if err != nil {
		return event.Event{}, err
	}
	if !hasTS {
		ts = nowMS
	}
	seq, _, err := integer(m, "seq", 1<<53)
	if err != nil {
		return event.Event{}, err
	}
	ev := event.Event{Device: dev, Type: typ, TS: ts, Seq: seq, Received: nowMS, Source: event.SourceMQTT}
	if raw, ok := m["data"]; ok && !bytes.Equal(raw, []byte("null")) {
		if err := json.Unmarshal(raw, &ev.Data); err != nil {
			return event.Event{}, reject(event.BadType, "\"data\" must be an object, got %s", clip(raw))
		}
	}
	return ev, nil
}

// DecodeTelemetry decodes a tel payload: a flat object of numbers,
// booleans and strings, with an optional integer ts. The payloads devices
// send take a single pass without encoding/json (telemetry.go); anything
// else, rejects included, is decoded by decodeTelemetryJSON.
func DecodeTelemetry(dev string, payload []byte, nowMS int64) (event.Telemetry, error) {
	if tel, ok := decodeTelemetryFast(dev, payload, nowMS); ok {
		return tel, nil
	}
	return decodeTelemetryJSON(dev, payload, nowMS)
}

// decodeTelemetryJSON is DecodeTelemetry through encoding/json: the
// reference for every payload, and the decoder of those the single pass
// leaves to it.
func decodeTelemetryJSON(dev string, payload []byte, nowMS int64) (event.Telemetry, error) {
	m, err := object(payload)
	if err != nil {
		return event.Telemetry{}, err
	}
	ts, hasTS, err := integer(m, "ts", maxTS)
	if err != nil {
		return event.Telemetry{}, err
	}
	if !hasTS {
		ts = nowMS
	}
	delete(m, "ts")
	if len(m) > maxFields {
		return event.Telemetry{}, reject(event.BadType, "%d fields, at most %d allowed", len(m), maxFields)
	}
	fields := make(map[string]any, len(m))
	for k, raw := range m {
		if !validFieldName(k) {
			return event.Telemetry{}, reject(event.BadType, "field name %q: want [A-Za-z0-9_], at most %d characters", clipString(k), maxFieldName)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return event.Telemetry{}, reject(event.Malformed, "field %q: %v", k, err)
		}
		switch v.(type) {
		case float64, bool, string:
			fields[k] = v
		default:
			return event.Telemetry{}, reject(event.BadType, "field %q must be a number, boolean or string, got %s", k, clip(raw))
		}
	}
	return event.Telemetry{Device: dev, TS: ts, Fields: fields, Received: nowMS}, nil
}

// DecodeState decodes a state payload: "online" or "offline" (bare, or as
// a JSON string).
func DecodeState(dev string, payload []byte, nowMS int64) (event.Presence, error) {
	s := strings.Trim(strings.TrimSpace(string(payload)), `"`)
	switch s {
	case Online:
		return event.Presence{Device: dev, Online: true, At: nowMS}, nil
	case Offline:
		return event.Presence{Device: dev, Online: false, At: nowMS}, nil
	}
	return event.Presence{}, reject(event.Malformed, "state must be %q or %q, got %q", Online, Offline, clipString(s))
}

// DecodeReply decodes a staff member's reply to an alarm.
func DecodeReply(staff string, payload []byte, nowMS int64) (event.Action, error) {
	m, err := object(payload)
	if err != nil {
		return event.Action{}, err
	}
	id, err := text(m, "alarm_id", true)
	if err != nil {
		return event.Action{}, err
	}
	if !ValidID(id) {
		return event.Action{}, reject(event.BadType, "\"alarm_id\" %q is not a valid id", clipString(id))
	}
	action, err := text(m, "action", true)
	if err != nil {
		return event.Action{}, err
	}
	kind := event.ActionKind(action)
	if !kind.Valid() {
		return event.Action{}, reject(event.BadType, "\"action\" must be ack, arrive or resolve, got %q", clipString(action))
	}
	note, err := text(m, "note", false)
	if err != nil {
		return event.Action{}, err
	}
	if len(note) > maxNoteLen {
		return event.Action{}, reject(event.BadType, "\"note\" is %d bytes, at most %d allowed", len(note), maxNoteLen)
	}
	return event.Action{AlarmID: id, Kind: kind, By: staff, Note: note, Channel: "mqtt", At: nowMS}, nil
}

// DecodeCommandAck decodes a device's answer to a command.
func DecodeCommandAck(dev string, payload []byte) (event.CommandAck, error) {
	m, err := object(payload)
	if err != nil {
		return event.CommandAck{}, err
	}
	cid, err := text(m, "cid", true)
	if err != nil {
		return event.CommandAck{}, err
	}
	ack := event.CommandAck{ID: cid, Device: dev}
	if raw, ok := m["ok"]; ok {
		if err := json.Unmarshal(raw, &ack.OK); err != nil {
			return event.CommandAck{}, reject(event.BadType, "\"ok\" must be a boolean, got %s", clip(raw))
		}
	}
	if ack.Error, err = text(m, "error", false); err != nil {
		return event.CommandAck{}, err
	}
	return ack, nil
}

// ValidType reports whether t is a dotted lower-case event type such as
// "button.pressed" or "device.offline".
func ValidType(t string) bool {
	if t == "" || len(t) > maxTypeLen || t[0] == '.' || t[len(t)-1] == '.' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		case c == '.' && t[i-1] != '.':
		default:
			return false
		}
	}
	return true
}

func validFieldName(k string) bool {
	if k == "" || len(k) > maxFieldName {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// clip shortens raw JSON for an error message.
func clip(raw []byte) string { return clipString(string(raw)) }

func clipString(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
