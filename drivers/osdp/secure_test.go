package osdp

import (
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/drivers/serialline"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/osdp/wire/sc"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
	sim "github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/event"
)

const siteKey = "000102030405060708090A0B0C0D0E0F"

func keyOf(t *testing.T, s string) *sc.Key {
	t.Helper()
	k, _, err := parseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSecureChannelCardRead: readers with the site key and with the
// install-mode key open a secure channel; a card read and PIN travel
// encrypted and MACed and arrive as events.
func TestSecureChannelCardRead(t *testing.T) {
	r := startRigWith(t, rigSetup{addrs: []int{1, 2}, baud: 115200, waitAll: true,
		tune: func(c *Config) { c.PDs[0].Key, c.PDs[1].Key, c.PDs[0].Door = siteKey, "default", testDoor() },
		pdTune: func(c *sim.Config) {
			if c.Address == 1 {
				c.Key = keyOf(t, siteKey)
			} else {
				c.Key = keyOf(t, "default")
			}
		}})
	for i, st := range r.cp.Status() {
		if !st.Secure {
			t.Fatalf("PD %d status %+v: want a secure session", i+1, st)
		}
	}
	for _, a := range []byte{1, 2} {
		o := r.sim.PD(a).Observed()
		if !o.Secure || o.Commands[wire.CmdCHLNG] != 1 || o.Commands[wire.CmdSCRYPT] != 1 {
			t.Fatalf("PD %d observed %+v: want one handshake and a session", a, o)
		}
	}
	if err := r.sim.PD(1).SwipeCard(wiegand.H10301, 68, 41551); err != nil {
		t.Fatal(err)
	}
	if err := r.sim.PD(2).EnterPIN("4711#"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "card and PIN over the secure channel", func() bool {
		return len(r.sink.find(dev(1), CardRead)) == 1 && len(r.sink.find(dev(2), KeypadPIN)) == 1
	})
	if c := r.sink.find(dev(1), CardRead)[0].Data["card"]; c != "41551" {
		t.Fatalf("card %v", c)
	}
	// The grant's LED, buzzer and lock commands travel encrypted.
	eventually(t, "lock pulsed over the secure channel", func() bool {
		o := r.sim.PD(1).Observed()
		return len(o.OutCmds) == 1 && len(o.LEDs) == 1 && len(o.Buzzes) == 1
	})
	if o := r.sim.PD(1).Observed(); o.OutCmds[0].Timer != 30 || !o.Secure {
		t.Fatalf("observed %+v", o)
	}
	if p := r.sink.find(dev(2), KeypadPIN)[0].Data["pin"]; p != "4711#" {
		t.Fatalf("pin %v", p)
	}
	// A rebooted secure PD drops its session; the bus handshakes again.
	r.sim.PD(1).Reboot()
	eventually(t, "second handshake", func() bool { return r.sim.PD(1).Observed().Commands[wire.CmdSCRYPT] == 2 })
	if err := r.sim.PD(1).SwipeCard(wiegand.H10301, 90, 324); err != nil {
		t.Fatal(err)
	}
	eventually(t, "card after the new session", func() bool { return len(r.sink.find(dev(1), CardRead)) == 2 })
	if n := len(r.sink.find(dev(1), event.TamperOpen)); n != 0 {
		t.Fatalf("%d tamper alarms on a healthy secure reader", n)
	}
	// A reader that starts answering in clear text inside the session.
	r.sim.PD(2).SetFaults(sim.Faults{ClearText: true})
	eventually(t, "tamper on clear text", func() bool { return len(r.sink.find(dev(2), event.TamperOpen)) == 1 })
	if d := r.sink.find(dev(2), event.TamperOpen)[0].Data["detail"].(string); !strings.Contains(d, "in clear text") {
		t.Fatalf("tamper detail %q", d)
	}
	eventually(t, "status not secure", func() bool { st := r.cp.Status()[1]; return !st.Secure && st.State == "offline" })
}

// TestSecureChannelFailuresRaiseTamper: a reader configured as secure that
// has no secure channel, or another key, raises a tamper alarm and is never
// polled in clear text.
func TestSecureChannelFailuresRaiseTamper(t *testing.T) {
	r := startRigWith(t, rigSetup{addrs: []int{1, 2, 3}, baud: 115200,
		tune: func(c *Config) {
			for i := range c.PDs {
				c.PDs[i].Key = siteKey
			}
		},
		pdTune: func(c *sim.Config) {
			switch c.Address {
			case 1:
				c.Key = keyOf(t, siteKey)
			case 2: // no secure channel at all
			case 3:
				c.Key = keyOf(t, "default") // still in install mode
			}
		}})
	eventually(t, "PD 1 online", func() bool { return len(r.sink.find(dev(1), event.DeviceOnline)) == 1 })
	for _, tc := range []struct {
		addr int
		says string
	}{{2, "reports no secure channel capability"}, {3, "client cryptogram does not match"}} {
		eventually(t, dev(tc.addr)+" tamper", func() bool { return len(r.sink.find(dev(tc.addr), event.TamperOpen)) == 1 })
		ev := r.sink.find(dev(tc.addr), event.TamperOpen)[0]
		if ev.Data["reason"] != "secure_channel" || !strings.Contains(ev.Data["detail"].(string), tc.says) {
			t.Fatalf("%s tamper event %v, want reason secure_channel and %q", dev(tc.addr), ev.Data, tc.says)
		}
		if n := len(r.sink.find(dev(tc.addr), event.DeviceOnline)); n != 0 {
			t.Fatalf("%s came online without a secure channel", dev(tc.addr))
		}
	}
	// Re-probes fail again without a new alarm each time, and never poll in
	// clear; a reader without the capability is not even challenged.
	eventually(t, "re-probes", func() bool {
		return r.sim.PD(2).Observed().Commands[wire.CmdCAP] >= 3 && r.sim.PD(3).Observed().Commands[wire.CmdCHLNG] >= 3
	})
	if n := r.sim.PD(2).Observed().Commands[wire.CmdCHLNG]; n != 0 {
		t.Fatalf("PD 2 reports no secure channel and was challenged %d times", n)
	}
	for _, a := range []byte{2, 3} {
		o := r.sim.PD(a).Observed()
		if o.Commands[wire.CmdPOLL] != 0 || o.Commands[wire.CmdLSTAT] != 0 {
			t.Fatalf("PD %d was polled in clear text: %v", a, o.Commands)
		}
		if n := len(r.sink.find(dev(int(a)), event.TamperOpen)); n != 1 {
			t.Fatalf("PD %d raised %d tamper alarms, want one per failure streak", a, n)
		}
	}
}

func TestParseKey(t *testing.T) {
	if k, n, err := parseKey("default"); err != nil || *k != sc.DefaultSCBK() || n != 0 {
		t.Fatalf("default: %v %d %v", k, n, err)
	}
	if k, n, err := parseKey(siteKey); err != nil || k[15] != 0x0F || n != 1 {
		t.Fatalf("hex: %v %d %v", k, n, err)
	}
	if k, _, err := parseKey(""); err != nil || k != nil {
		t.Fatalf("empty: %v %v", k, err)
	}
	for _, bad := range []string{"0011", "zz0102030405060708090A0B0C0D0E0F", siteKey + "00"} {
		if _, _, err := parseKey(bad); err == nil {
			t.Errorf("parseKey(%q) accepted", bad)
		}
	}
	if err := (Config{Line: serialline.Line{Port: "/dev/x"}, PDs: []PDConfig{{Device: "d", Address: 1, Key: "secret"}}}).Validate(); err == nil ||
		!strings.Contains(err.Error(), "32 hex digits") {
		t.Errorf("Validate of a bad key: %v", err)
	}
}
