package osdp

import (
	"context"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	sim "github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/event"
)

func TestRuleCommandsReachTheReader(t *testing.T) {
	r := startRig(t, []int{1, 2}, 115200, func(c *Config) { c.Parity = serialline.ParityOdd })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pd := r.sim.PD(1)
	cmd := func(c string, args map[string]any) event.CommandAck {
		return r.cp.Command(ctx, event.Command{ID: "c-" + c, Device: dev(1), Cmd: c, Args: args})
	}

	if ack := cmd(CmdStrobe, map[string]any{"seconds": 120}); !ack.OK || ack.ID != "c-strobe" {
		t.Fatalf("strobe: %+v", ack)
	}
	eventually(t, "LED flashing red for 120 s", func() bool {
		for _, l := range pd.Observed().LEDs {
			if l.Temporary.Control == 2 && l.Temporary.OnColor == wire.ColorRed && l.Temporary.OffColor == wire.ColorOff &&
				l.Temporary.OffTime > 0 && l.Temporary.Timer == 1200 {
				return true
			}
		}
		return false
	})
	if ack := cmd(CmdSiren, map[string]any{"seconds": 60.0}); !ack.OK {
		t.Fatalf("siren: %+v", ack)
	}
	eventually(t, "buzzer beeping 60 times", func() bool {
		for _, z := range pd.Observed().Buzzes {
			if z.Tone == wire.ToneDefault && z.Count == 60 {
				return true
			}
		}
		return false
	})
	if ack := cmd(CmdSiren, map[string]any{"seconds": 0}); !ack.OK {
		t.Fatalf("siren off: %+v", ack)
	}
	eventually(t, "buzzer off", func() bool {
		z := pd.Observed().Buzzes
		return len(z) > 0 && z[len(z)-1].Tone == wire.ToneOff
	})
	if ack := cmd(CmdUnlock, map[string]any{"seconds": 3}); !ack.OK {
		t.Fatalf("unlock: %+v", ack)
	}
	eventually(t, "lock relay pulsed 3 s", func() bool {
		for _, o := range pd.Observed().OutCmds {
			if o.Output == 0 && o.Code == wire.OutPulseOn && o.Timer == 30 {
				return true
			}
		}
		return false
	})
	if n := len(r.sim.PD(2).Observed().LEDs) + len(r.sim.PD(2).Observed().Buzzes); n != 0 {
		t.Errorf("the other reader got %d LED/buzzer commands", n)
	}

	for _, bad := range []event.Command{
		{Device: dev(9), Cmd: CmdStrobe, Args: map[string]any{"seconds": 1}},
		{Device: dev(1), Cmd: "clip", Args: map[string]any{"before_s": 10}},
		{Device: dev(1), Cmd: CmdStrobe},
		{Device: dev(1), Cmd: CmdSiren, Args: map[string]any{"seconds": "loud"}},
		{Device: dev(1), Cmd: CmdStrobe, Args: map[string]any{"seconds": -1}},
		{Device: dev(1), Cmd: CmdStrobe, Args: map[string]any{"seconds": 7000}},
	} {
		if ack := r.cp.Command(ctx, bad); ack.OK || ack.Error == "" {
			t.Errorf("command %+v: ack %+v, want a refusal", bad, ack)
		}
	}

	// An offline reader refuses at once rather than queueing for later.
	r.sim.PD(2).SetFaults(sim.Faults{Silent: true})
	eventually(t, "reader 2 offline", func() bool { return len(r.sink.find(dev(2), event.DeviceOffline)) == 1 })
	if ack := r.cp.Command(ctx, event.Command{Device: dev(2), Cmd: CmdStrobe, Args: map[string]any{"seconds": 5}}); ack.OK {
		t.Errorf("offline reader: ack %+v, want a refusal", ack)
	}
}
