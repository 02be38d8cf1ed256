package wire

import (
	"errors"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// FuzzDecode feeds arbitrary payloads to every decoder: none may panic, and
// every failure must be a typed *event.Reject.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"button.pressed","ts":1732345678123,"seq":42,"data":{"k":"v"}}`,
		`{"battery_v":12.4,"mains":true}`, `online`, `{"alarm_id":"A1","action":"ack"}`,
		`{"cid":"c-1","ok":true,"error":""}`, `[`, `null`, `{"ts":1e400}`,
		`{"action":"received","page_id":"A1.0.wang"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		check := func(err error) {
			var rj *event.Reject
			if err != nil && !errors.As(err, &rj) {
				t.Fatalf("untyped error %v", err)
			}
		}
		_, err := DecodeEvent("d", payload, 1)
		check(err)
		_, err = DecodeTelemetry("d", payload, 1)
		check(err)
		_, err = DecodeState("d", payload, 1)
		check(err)
		_, err = DecodeReply("s", payload, 1)
		check(err)
		_, err = DecodeCommandAck("d", payload)
		check(err)
		_, _, err = DecodeReceipt(payload)
		check(err)
	})
}
