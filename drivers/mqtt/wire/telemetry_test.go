package wire

import (
	"reflect"
	"strings"
	"testing"
)

// telemetrySeeds are payloads for the single pass and the reference: the
// shapes devices send, and the edges each must leave to the reference.
var telemetrySeeds = []string{
	`{"ts":1732345678123,"battery_v":12.4,"mains":true,"temp_c":31.5,"rssi_dbm":-71}`,
	` { "battery_v" : 1.2e-3 , "mains" : false, "fw":"1.2", "name":"灯箱" } `, `{}`, `{"ts":0}`,
	`{"ts":-0,"a":-0}`, `{"a":0.5E+2,"b":1e400}`, `{"ts":1.0}`, `{"ts":"5"}`, `{"ts":null}`, `{"a":null}`,
	`{"a":{"b":1}}`, `{"a":[1]}`, `{"a":"x\"y"}`, `{"t\u0073":5}`, `{"a":1,"a":2}`, `{"ts":1,"ts":2}`,
	`{"a":1,}`, `{"a" 1}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":tru}`, `{"a":1}x`,
	"{\"a\":\"\xff\"}", "{\"a\":\"\x01\"}", `{"bad-name":1}`, `[1]`, `null`, ``, `{"ts":4102444800001}`,
	`{"ts":99999999999999999999}`, `{"a":"\u00e9"}`,
}

// TestTelemetryFastIsTaken: the payloads devices send take the single
// pass, and give what encoding/json gives.
func TestTelemetryFastIsTaken(t *testing.T) {
	var many []string
	for i := range maxFields {
		many = append(many, `"f`+strings.Repeat("x", i%5)+string(rune('a'+i%26))+string(rune('a'+i/26))+`":1`)
	}
	for _, payload := range []string{telemetrySeeds[0], telemetrySeeds[1], `{}`, "{" + strings.Join(many, ",") + "}"} {
		fast, ok := decodeTelemetryFast("lb-1", []byte(payload), 9)
		if !ok {
			t.Errorf("%s: left to encoding/json", payload)
			continue
		}
		ref, err := decodeTelemetryJSON("lb-1", []byte(payload), 9)
		if err != nil || !reflect.DeepEqual(fast, ref) {
			t.Errorf("%s: single pass %+v, encoding/json %+v, %v", payload, fast, ref, err)
		}
	}
}

// FuzzTelemetryFast: whatever the single pass accepts, encoding/json
// accepts too, with the same values.
func FuzzTelemetryFast(f *testing.F) {
	for _, s := range telemetrySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		fast, ok := decodeTelemetryFast("d", payload, 7)
		if !ok {
			return
		}
		ref, err := decodeTelemetryJSON("d", payload, 7)
		if err != nil {
			t.Fatalf("%q: single pass took it, encoding/json refused: %v", payload, err)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("%q: single pass %+v, encoding/json %+v", payload, fast, ref)
		}
	})
}

// BenchmarkDecodeTelemetry is one telemetry payload of a light box, by
// the single pass (what DecodeTelemetry takes) and by encoding/json.
func BenchmarkDecodeTelemetry(b *testing.B) {
	payload := []byte(telemetrySeeds[0])
	b.Run("single-pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeTelemetry("lb-1", payload, 9); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeTelemetryJSON("lb-1", payload, 9); err != nil {
				b.Fatal(err)
			}
		}
	})
}
