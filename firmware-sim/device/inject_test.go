package device

import (
	"context"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/internal/brokertest"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// TestInjectedFaults: each fault an installer rehearses shows on the wire
// as the gateway's decoders read it — the events, the telemetry that
// follows them, a reboot's sequence numbers starting again at 1 and a
// clock 10 minutes ahead.
func TestInjectedFaults(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	evts := brokertest.Subscribe(t, gw, topics.Event("lb-0001"))
	tel := brokertest.Subscribe(t, gw, topics.Telemetry("lb-0001"))
	d := start(t, b, &registry.Device{ID: "lb-0001", Kind: registry.Lightbox, Heartbeat: 50 * time.Millisecond})
	ctx := context.Background()
	next := func() wire.EventMsg {
		t.Helper()
		ev, err := wire.DecodeEvent("lb-0001", brokertest.Next(t, evts, "event").Payload(), 0)
		if err != nil {
			t.Fatal(err)
		}
		return wire.EventMsg{Type: ev.Type, TS: ev.TS, Seq: ev.Seq, Data: ev.Data}
	}
	for _, tc := range []struct {
		f   Fault
		typ string
		seq int64
	}{
		{MainsLost, "power.mains_lost", 1},
		{BatteryLow, "battery.low", 2},
		{Tamper, "tamper.open", 3},
	} {
		if err := d.Inject(ctx, tc.f); err != nil {
			t.Fatal(err)
		}
		if ev := next(); ev.Type != tc.typ || ev.Seq != tc.seq {
			t.Errorf("%s: event %+v, want %s seq %d", tc.f, ev, tc.typ, tc.seq)
		}
	}
	// The next heartbeats carry mains off and the low battery.
	found := false
	for range 20 {
		got, err := wire.DecodeTelemetry("lb-0001", brokertest.Next(t, tel, "telemetry").Payload(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if got.Fields["mains"] == false && got.Fields["battery_v"] == LowBatteryV {
			found = true
			break
		}
	}
	if !found {
		t.Error("no heartbeat with mains false and battery_v 11 after the faults")
	}

	if err := d.Inject(ctx, Reboot); err != nil {
		t.Fatal(err)
	}
	if err := d.Inject(ctx, ClockSkew); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if _, err := d.Emit(ctx, "button.pressed", nil); err != nil {
		t.Fatal(err)
	}
	ev := next()
	if ev.Seq != 1 {
		t.Errorf("after a reboot the first event is seq %d, want 1", ev.Seq)
	}
	if ahead := time.UnixMilli(ev.TS).Sub(before); ahead < SkewedBy-time.Minute || ahead > SkewedBy+time.Minute {
		t.Errorf("skewed clock: event ts %v ahead, want about %v", ahead, SkewedBy)
	}
	if err := d.Inject(ctx, "flood"); err == nil {
		t.Error("an unknown fault was accepted")
	}
}
