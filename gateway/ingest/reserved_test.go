package ingest

import (
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// TestDeviceMayNotClaimGatewayTypes: an event of a type the gateway
// derives from its own observations, sent by a device over MQTT (a light
// box saying device.offline about itself), is refused as bad_type, counted
// and never journaled; the types a device may send too (the thresholds'
// power.mains_lost, battery.low, ...) still flow, and so does the device's
// next event.
func TestDeviceMayNotClaimGatewayTypes(t *testing.T) {
	cases := []struct {
		typ    string
		accept bool
	}{
		{event.DeviceOffline, false},
		{event.DeviceOnline, false},
		{event.DeviceFlooding, false},
		{event.RuleHeld, false},
		{event.RuleCalm, false},
		{event.StreamDegraded, false},
		{event.StreamRestored, false},
		{event.VideoCodecUnsupported, false},
		{event.BusFault, false},
		{event.BusRestored, false},
		{event.ReaderRekeyed, false},
		// The contract lets devices send these: keep them.
		{event.PowerMainsLost, true},
		{event.PowerMainsRestored, true},
		{event.BatteryLow, true},
		{"battery.ok", true},
		{event.VideoLoss, true},
		{event.TamperOpen, true},
		{event.ButtonPressed, true},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			r := newRig(t)
			topic := r.topics.Event("lb-1")
			if err := r.handle(t, topic, `{"type":"`+c.typ+`","seq":1}`); err != nil {
				t.Fatalf("Handle = %v, want nil (accepted, or refused for good)", err)
			}
			journaled := len(r.journal.types()) == 1
			if journaled != c.accept {
				t.Errorf("journal = %v, want accepted %v", r.journal.types(), c.accept)
			}
			wantRefused := 0
			if !c.accept {
				wantRefused = 1
			}
			if got := r.rejected(event.BadType); got != wantRefused {
				t.Errorf("rejected{bad_type} = %d, want %d", got, wantRefused)
			}
			if got := r.devs.rejected["lb-1"]; got != wantRefused {
				t.Errorf("device status refusals = %d, want %d", got, wantRefused)
			}
			if !c.accept && r.devs.seen["lb-1"] != 0 {
				t.Errorf("a refused claim counted as a sign of life")
			}
			// Nothing already accepted is lost, and the device's next
			// event flows.
			if err := r.handle(t, topic, `{"type":"motion","seq":2}`); err != nil {
				t.Fatal(err)
			}
			if got, want := len(r.journal.types()), map[bool]int{true: 2, false: 1}[c.accept]; got != want {
				t.Errorf("journal = %v, want %d events", r.journal.types(), want)
			}
		})
	}
}

// TestEdgeReservedTypesByTransport: a reserved type passes only through
// the edge of the drivers that derive it — a serial bus's device.offline,
// a camera stream's stream.degraded — whatever Source the event claims.
func TestEdgeReservedTypesByTransport(t *testing.T) {
	cases := []struct {
		transport string
		typ       string
		claim     event.Source
		accept    bool
	}{
		{TransportOSDP, event.DeviceOffline, event.SourceOSDP, true},
		{TransportModbus, event.DeviceOnline, event.SourceModbus, true},
		{TransportModbus, event.BusFault, event.SourceModbus, true},
		{TransportOSDP, event.ReaderRekeyed, event.SourceOSDP, true},
		{TransportRTP, event.StreamRestored, event.SourceRTP, true},
		{TransportRTP, event.DeviceOffline, event.SourceOSDP, false},
		{TransportOSDP, event.StreamRestored, event.SourceRTP, false},
		{TransportModbus, event.ReaderRekeyed, event.SourceOSDP, false},
		{TransportOSDP, event.DeviceFlooding, event.SourceGateway, false},
		{TransportRTP, event.RuleHeld, event.SourceGateway, false},
	}
	for _, c := range cases {
		t.Run(c.transport+"/"+c.typ, func(t *testing.T) {
			r := newRig(t)
			e := r.edge(t, c.transport)
			e.Event(event.Event{Device: "lb-1", Type: c.typ, Source: c.claim})
			if journaled := len(r.journal.types()) == 1; journaled != c.accept {
				t.Errorf("journal = %v, want accepted %v", r.journal.types(), c.accept)
			}
			want := 1
			if c.accept {
				want = 0
			}
			if got := edgeMetric(t, e, "rejected", string(event.BadType)); got != want {
				t.Errorf("rejected{transport=%s,reason=bad_type} = %d, want %d", c.transport, got, want)
			}
		})
	}
}
