package osdp

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	sim "github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// play runs simulator script lines against the rig's PDs.
func (r *rig) play(t *testing.T, script string) {
	t.Helper()
	steps, err := sim.ParseScript(strings.NewReader(script))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.sim.Play(context.Background(), steps, io.Discard); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) count(device, typ string) int { return len(r.sink.find(device, typ)) }

// TestDoorsOverThePTY: the simulator's door and rex steps reach the door
// state machine through ISTATR replies to POLL.
//   - PD 1: opened with no grant → forced, then held open, then closed;
//     after a granted card the opening is a pass (no forced), and closing
//     it still reports door.closed.
//   - PD 2: open before the poller starts → nothing forced; its closing is
//     reported.
//   - PD 3: a REX that unlocks pulses the lock and the opening is a pass.
func TestDoorsOverThePTY(t *testing.T) {
	r := startRigWith(t, rigSetup{addrs: []int{1, 2, 3}, baud: 115200, waitAll: true,
		tune: func(c *Config) {
			c.PDs[0].Door = testDoor()
			c.PDs[0].Door.LockTime, c.PDs[0].Door.HeldOpen = 60*time.Second, 500*time.Millisecond
			c.PDs[1].Door = &Door{}
			c.PDs[2].Door = &Door{REXUnlocks: true, LockTime: 60 * time.Second}
		},
		before: func(b *sim.Bus) {
			if err := b.PD(2).SetDoor(true); err != nil {
				t.Fatal(err)
			}
		}})
	// One ISTAT at connect (it follows device.online), then POLLs only.
	for _, a := range []byte{1, 2, 3} {
		pd := r.sim.PD(a)
		eventually(t, fmt.Sprintf("PD %d polled after its ISTAT", a), func() bool {
			o := pd.Observed()
			return o.Commands[wire.CmdISTAT] >= 1 && o.Commands[wire.CmdPOLL] >= 5
		})
		if n := pd.Observed().Commands[wire.CmdISTAT]; n != 1 {
			t.Fatalf("PD %d got %d ISTAT, want 1 at connect", a, n)
		}
	}

	// PD 1, no grant.
	r.play(t, "door 1 open")
	eventually(t, "door.forced", func() bool { return r.count(dev(1), event.DoorForced) == 1 })
	eventually(t, "door.held_open", func() bool { return r.count(dev(1), event.DoorHeldOpen) == 1 })
	r.play(t, "door 1 closed")
	eventually(t, "door.closed", func() bool { return r.count(dev(1), event.DoorClosed) == 1 })
	if d := r.sink.find(dev(1), event.DoorClosed)[0].Data; d["forced"] != true || d["held_open"] != true {
		t.Fatalf("door.closed after forced and held: %v", d)
	}
	// PD 1, a granted card, then the door.
	r.play(t, "swipe 1 h10301 68 41551")
	eventually(t, "lock pulsed", func() bool { return len(r.sim.PD(1).Observed().OutCmds) == 1 })
	r.play(t, "door 1 open")
	eventually(t, "the pass seen", func() bool { return r.cp.Status()[0].Inputs[0] })
	r.play(t, "door 1 closed")
	eventually(t, "door.closed after the pass", func() bool { return r.count(dev(1), event.DoorClosed) == 2 })
	if d := r.sink.find(dev(1), event.DoorClosed)[1].Data; d["forced"] != false {
		t.Fatalf("door.closed after a granted pass: %v", d)
	}
	if n := r.count(dev(1), event.DoorForced); n != 1 {
		t.Fatalf("%d door.forced, want only the first opening's", n)
	}

	// PD 2 was open at connect.
	r.play(t, "door 2 closed")
	eventually(t, "PD 2 door.closed", func() bool { return r.count(dev(2), event.DoorClosed) == 1 })
	if n := r.count(dev(2), event.DoorForced); n != 0 {
		t.Fatalf("a door open at connect was reported forced %d times", n)
	}

	// PD 3: REX, then the door.
	r.play(t, "rex 3")
	eventually(t, "lock pulsed by the REX", func() bool { return len(r.sim.PD(3).Observed().OutCmds) == 1 })
	r.play(t, "door 3 open\ndoor 3 closed")
	eventually(t, "PD 3 door.closed", func() bool { return r.count(dev(3), event.DoorClosed) == 1 })
	if n := r.count(dev(3), event.DoorForced); n != 0 {
		t.Fatalf("an exit by REX was reported forced %d times", n)
	}
	if o := r.sim.PD(3).Observed().OutCmds[0]; o.Output != 0 || o.Code != wire.OutPulseOn || o.Timer != 600 {
		t.Fatalf("REX lock command %+v", o)
	}
}

// TestDoorPollInputs: with poll_inputs a door PD is read with ISTAT in
// place of every Nth POLL.
func TestDoorPollInputs(t *testing.T) {
	r := startRigWith(t, rigSetup{addrs: []int{1}, baud: 115200, waitAll: true,
		tune: func(c *Config) { c.PDs[0].Door = &Door{PollInputs: 4} }})
	pd := r.sim.PD(1)
	eventually(t, "40 POLLs", func() bool { return pd.Observed().Commands[wire.CmdPOLL] >= 40 })
	o := pd.Observed()
	polls, istats := o.Commands[wire.CmdPOLL], o.Commands[wire.CmdISTAT]-1 // one at connect
	if istats*4 < polls+istats-4 || istats*4 > polls+istats+4 {
		t.Fatalf("%d ISTAT among %d turns, want one in 4", istats, polls+istats)
	}
}
