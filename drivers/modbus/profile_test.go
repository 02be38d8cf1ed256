package modbus

import (
	"context"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// doorIO is a site profile unlike the built-in one: a door contact on DI 3,
// a beacon on coil 5 that wants a fixed 200 ms trigger, a lamp on coil 6.
var doorIO = Profile{
	Inputs: 4,
	Edges:  []Edge{{Input: 3, Rising: event.DoorForced, Falling: event.DoorClosed}},
	Outputs: map[string]Output{
		"beacon": {Coil: 5, Pulse: 200 * time.Millisecond},
		"lamp":   {Coil: 6},
	},
}

func TestSiteProfileOverAnEvenParityLine(t *testing.T) {
	r := startWith(t, func(c *Config) {
		c.Parity = serialline.ParityEven
		c.Profiles = map[string]Profile{"door-io": doorIO}
		c.Units[1].Profile = "door-io"
	})
	u := r.sim.Unit(2)

	// The site profile's edges, and not the built-in ones.
	if err := u.SetInput(3, true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "door.forced from DI 3", func() bool { return r.sink.count("lb-2", event.DoorForced) == 1 })
	_ = u.SetInput(3, false)
	eventually(t, "door.closed from DI 3", func() bool { return r.sink.count("lb-2", event.DoorClosed) == 1 })
	u.Press() // DI 0 means nothing in door-io
	r.sim.Unit(1).Press()
	eventually(t, "lb-1 (lightbox-io) press", func() bool { return r.sink.count("lb-1", event.ButtonPressed) == 1 })
	if n := r.sink.count("lb-2", event.ButtonPressed); n != 0 {
		t.Errorf("door-io unit reported %d button presses; its DI 0 has no edge", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A fixed pulse needs no args, and overrides the seconds asked for.
	for _, args := range []map[string]any{nil, {"seconds": 120}} {
		ack := r.bus.Command(ctx, event.Command{ID: "c-b", Device: "lb-2", Cmd: "beacon", Args: args})
		if !ack.OK || !u.Coil(5) {
			t.Fatalf("beacon %v: ack %+v, coils %v", args, ack, u.Coils())
		}
		eventually(t, "beacon off after its 200 ms pulse", func() bool { return !u.Coil(5) })
	}
	if ack := r.bus.Command(ctx, event.Command{Device: "lb-2", Cmd: "lamp"}); ack.OK {
		t.Errorf("lamp without seconds and without a profile pulse was accepted: %+v", ack)
	}
	if ack := r.bus.Command(ctx, event.Command{Device: "lb-2", Cmd: "lamp", Args: map[string]any{"seconds": 60}}); !ack.OK || !u.Coil(6) {
		t.Errorf("lamp for 60 s: ack %+v, coils %v", ack, u.Coils())
	}
	if ack := r.bus.Command(ctx, event.Command{Device: "lb-2", Cmd: "strobe", Args: map[string]any{"seconds": 1}}); ack.OK {
		t.Errorf("door-io has no strobe, yet it was accepted: %+v", ack)
	}
	if ack := r.bus.Command(ctx, event.Command{Device: "lb-1", Cmd: "strobe", Args: map[string]any{"seconds": 60}}); !ack.OK || !r.sim.Unit(1).Coil(0) {
		t.Errorf("lightbox-io strobe on the same line: ack %+v", ack)
	}
}
