package wire

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
)

func reasonOf(t *testing.T, err error) event.Reason {
	t.Helper()
	if err == nil {
		return ""
	}
	var rj *event.Reject
	if !errors.As(err, &rj) {
		t.Fatalf("error %v is not an *event.Reject", err)
	}
	return rj.Reason
}

func TestDecodeEvent(t *testing.T) {
	const now = 1732345678999
	tests := []struct {
		name    string
		payload string
		reason  event.Reason
		want    event.Event
	}{
		{"full", `{"type":"button.pressed","ts":1732345678123,"seq":42,"data":{"k":"v"}}`, "",
			event.Event{Device: "lb-1", Type: "button.pressed", TS: 1732345678123, Seq: 42, Received: now, Source: event.SourceMQTT}},
		{"no ts means gateway time", `{"type":"tamper.open"}`, "",
			event.Event{Device: "lb-1", Type: "tamper.open", TS: now, Received: now, Source: event.SourceMQTT}},
		{"unknown fields ignored", `{"type":"motion","colour":"red"}`, "",
			event.Event{Device: "lb-1", Type: "motion", TS: now, Received: now, Source: event.SourceMQTT}},
		{"not json", `{"type":`, event.Malformed, event.Event{}},
		{"array", `[1,2]`, event.Malformed, event.Event{}},
		{"null", `null`, event.Malformed, event.Event{}},
		{"string", `"button.pressed"`, event.Malformed, event.Event{}},
		{"missing type", `{"ts":1}`, event.BadType, event.Event{}},
		{"type number", `{"type":7}`, event.BadType, event.Event{}},
		{"type upper case", `{"type":"Button.Pressed"}`, event.BadType, event.Event{}},
		{"type double dot", `{"type":"a..b"}`, event.BadType, event.Event{}},
		{"ts string", `{"type":"motion","ts":"now"}`, event.BadType, event.Event{}},
		{"ts negative", `{"type":"motion","ts":-1}`, event.BadType, event.Event{}},
		{"ts fraction", `{"type":"motion","ts":1.5}`, event.BadType, event.Event{}},
		{"ts far future", `{"type":"motion","ts":99999999999999}`, event.BadType, event.Event{}},
		{"seq bool", `{"type":"motion","seq":true}`, event.BadType, event.Event{}},
		{"data array", `{"type":"motion","data":[1]}`, event.BadType, event.Event{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeEvent("lb-1", []byte(tt.payload), now)
			if r := reasonOf(t, err); r != tt.reason {
				t.Fatalf("reason %q, want %q (err %v)", r, tt.reason, err)
			}
			if err != nil {
				return
			}
			got.Data = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeTelemetry(t *testing.T) {
	tel, err := DecodeTelemetry("lb-1", []byte(`{"ts":5,"battery_v":12.4,"mains":true,"fw":"1.2"}`), 9)
	if err != nil {
		t.Fatal(err)
	}
	if tel.TS != 5 || tel.Fields["battery_v"] != 12.4 || tel.Fields["mains"] != true || tel.Fields["fw"] != "1.2" || len(tel.Fields) != 3 {
		t.Errorf("got %+v", tel)
	}
	bad := map[string]event.Reason{
		`{"nested":{"a":1}}`: event.BadType,
		`{"list":[1]}`:       event.BadType,
		`{"nil":null}`:       event.BadType,
		`{"bad key":1}`:      event.BadType,
		`{"ts":"x"}`:         event.BadType,
		`7`:                  event.Malformed,
		`{`:                  event.Malformed,
	}
	for payload, want := range bad {
		_, err := DecodeTelemetry("lb-1", []byte(payload), 9)
		if r := reasonOf(t, err); r != want {
			t.Errorf("%s: reason %q, want %q (%v)", payload, r, want, err)
		}
	}
	many := make([]string, 0, maxFields+1)
	for i := range maxFields + 1 {
		many = append(many, `"f`+strings.Repeat("x", i%5)+string(rune('a'+i%26))+string(rune('a'+i/26))+`":1`)
	}
	if _, err := DecodeTelemetry("lb-1", []byte("{"+strings.Join(many, ",")+"}"), 9); reasonOf(t, err) != event.BadType {
		t.Errorf("too many fields: %v", err)
	}
}

func TestDecodeStateReplyAck(t *testing.T) {
	for payload, online := range map[string]bool{"online": true, `"offline"`: false, " online\n": true} {
		p, err := DecodeState("lb-1", []byte(payload), 1)
		if err != nil || p.Online != online {
			t.Errorf("state %q: %+v %v", payload, p, err)
		}
	}
	if _, err := DecodeState("lb-1", []byte("up"), 1); reasonOf(t, err) != event.Malformed {
		t.Errorf("state up: %v", err)
	}

	act, err := DecodeReply("wang", []byte(`{"alarm_id":"A1","action":"ack","note":"on my way"}`), 7)
	if err != nil || act.Kind != event.Ack || act.By != "wang" || act.Note != "on my way" || act.Channel != "mqtt" || act.At != 7 {
		t.Errorf("reply: %+v %v", act, err)
	}
	for _, p := range []string{`{"alarm_id":"A1","action":"close"}`, `{"action":"ack"}`, `{"alarm_id":"a/b","action":"ack"}`, `{"alarm_id":"A1","action":"ack","note":5}`} {
		if _, err := DecodeReply("wang", []byte(p), 7); reasonOf(t, err) != event.BadType {
			t.Errorf("reply %s: %v", p, err)
		}
	}

	ack, err := DecodeCommandAck("lb-1", []byte(`{"cid":"c-17","ok":false,"error":"relay stuck"}`))
	if err != nil || ack.ID != "c-17" || ack.OK || ack.Error != "relay stuck" {
		t.Errorf("ack: %+v %v", ack, err)
	}
	if _, err := DecodeCommandAck("lb-1", []byte(`{"cid":"c","ok":"yes"}`)); reasonOf(t, err) != event.BadType {
		t.Errorf("ack ok string: %v", err)
	}
}

func TestTopics(t *testing.T) {
	tp := Topics{Root: "gridwatch/v1"}
	tests := []struct {
		topic string
		kind  Kind
		id    string
	}{
		{tp.Event("lb-1"), KindEvent, "lb-1"},
		{tp.Telemetry("lb-1"), KindTelemetry, "lb-1"},
		{tp.State("lb-1"), KindState, "lb-1"},
		{tp.CommandAck("lb-1"), KindCommandAck, "lb-1"},
		{tp.Reply("wang"), KindReply, "wang"},
		{tp.Command("lb-1"), KindOutbound, "lb-1"},
		{tp.Notify("wang"), KindOutbound, "wang"},
		{tp.Alarm("A1"), KindOutbound, "A1"},
		{"gridwatch/v1/dev/lb-1/evt/extra", KindUnknown, ""},
		{"gridwatch/v2/dev/lb-1/evt", KindUnknown, ""},
		{"gridwatch/v1dev/lb-1/evt", KindUnknown, ""},
		{"other", KindUnknown, ""},
	}
	for _, tt := range tests {
		kind, id := tp.Parse(tt.topic)
		if kind != tt.kind || id != tt.id {
			t.Errorf("Parse(%q) = %v %q, want %v %q", tt.topic, kind, id, tt.kind, tt.id)
		}
	}
	for id, ok := range map[string]bool{"lb-0001": true, "a.b_c-D9": true, "": false, "a/b": false, "a+b": false, strings.Repeat("x", 65): false, strings.Repeat("x", 64): true} {
		if ValidID(id) != ok {
			t.Errorf("ValidID(%q) = %v", id, !ok)
		}
	}
}
