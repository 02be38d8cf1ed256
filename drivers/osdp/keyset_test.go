package osdp

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/drivers/serialline"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/osdp/wire/sc"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
	sim "github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// TestProvisionFromInstallMode: two readers still in install mode (SCBK-D)
// on one line. The one configured with provision: true is moved onto its
// key with KEYSET and from then on uses it; the one without provision is a
// tamper alarm and keeps SCBK-D: there is no silent fallback.
func TestProvisionFromInstallMode(t *testing.T) {
	r := startRigWith(t, rigSetup{addrs: []int{1, 2}, baud: 115200,
		tune: func(c *Config) {
			c.PDs[0].Key, c.PDs[0].Provision = siteKey, true
			c.PDs[1].Key = siteKey
		},
		pdTune: func(c *sim.Config) { c.Key = keyOf(t, "default") }})
	eventually(t, "rd-0001 rekeyed", func() bool { return len(r.sink.find(dev(1), ReaderRekeyed)) == 1 })
	eventually(t, "rd-0001 online", func() bool { return len(r.sink.find(dev(1), event.DeviceOnline)) == 1 })
	o := r.sim.PD(1).Observed()
	if o.KeyChanges != 1 || *o.Key != *keyOf(t, siteKey) {
		t.Fatalf("PD 1 after provisioning: %d key changes, key %X; want its site key", o.KeyChanges, o.Key)
	}
	if !o.Secure {
		t.Fatal("the PD has no secure session after provisioning")
	}
	eventually(t, "status secure", func() bool { st := r.cp.Status()[0]; return st.Secure && st.State == "online" })
	ev := r.sink.find(dev(1), ReaderRekeyed)[0]
	if ev.Data["key_fingerprint"] != keyFingerprint(*keyOf(t, siteKey)) || ev.Data["from"] != "scbk-d" {
		t.Fatalf("reader.rekeyed data %v", ev.Data)
	}
	if strings.Contains(strings.ToUpper(fmt.Sprint(ev.Data)), siteKey) {
		t.Fatalf("the key itself is in the event: %v", ev.Data)
	}
	if n := len(r.sink.find(dev(1), event.TamperOpen)); n != 0 {
		t.Fatalf("%d tamper alarms on the reader being provisioned", n)
	}

	// Later sessions use the new key at once: a reboot costs one handshake
	// and no second KEYSET.
	chlng := o.Commands[wire.CmdCHLNG]
	r.sim.PD(1).Reboot()
	eventually(t, "new session after the reboot", func() bool {
		o := r.sim.PD(1).Observed()
		return o.Commands[wire.CmdCHLNG] == chlng+1 && o.Secure
	})
	if err := r.sim.PD(1).SwipeCard(wiegand.H10301, 68, 41551); err != nil {
		t.Fatal(err)
	}
	eventually(t, "card read under the new key", func() bool { return len(r.sink.find(dev(1), CardRead)) == 1 })
	if o := r.sim.PD(1).Observed(); o.KeyChanges != 1 || o.Commands[wire.CmdKEYSET] != 1 {
		t.Fatalf("after the reboot: %d key changes, %d KEYSETs; want 1 and 1", o.KeyChanges, o.Commands[wire.CmdKEYSET])
	}
	if n := len(r.sink.find(dev(1), ReaderRekeyed)); n != 1 {
		t.Fatalf("%d reader.rekeyed events, want 1", n)
	}

	// Without provision: tamper, no KEYSET, never polled in clear.
	eventually(t, "rd-0002 tamper", func() bool { return len(r.sink.find(dev(2), event.TamperOpen)) == 1 })
	o2 := r.sim.PD(2).Observed()
	if o2.Commands[wire.CmdKEYSET] != 0 || o2.KeyChanges != 0 || *o2.Key != sc.DefaultSCBK() {
		t.Fatalf("PD 2 without provision was rekeyed: %+v", o2)
	}
	if o2.Commands[wire.CmdPOLL] != 0 || len(r.sink.find(dev(2), event.DeviceOnline)) != 0 {
		t.Fatal("PD 2 came online on SCBK-D without provision")
	}
}

// TestProvisionRefused: a reader that knows neither its key nor SCBK-D is a
// tamper alarm even with provision on, and the detail says both failed.
func TestProvisionRefused(t *testing.T) {
	r := startRigWith(t, rigSetup{addrs: []int{1}, baud: 115200,
		tune: func(c *Config) { c.PDs[0].Key, c.PDs[0].Provision = siteKey, true },
		pdTune: func(c *sim.Config) {
			k := sc.Key{0xEE}
			c.Key = &k
		}})
	eventually(t, "tamper", func() bool { return len(r.sink.find(dev(1), event.TamperOpen)) == 1 })
	if d := r.sink.find(dev(1), event.TamperOpen)[0].Data["detail"].(string); !strings.Contains(d, "SCBK-D refused too") {
		t.Fatalf("tamper detail %q", d)
	}
	if o := r.sim.PD(1).Observed(); o.Commands[wire.CmdKEYSET] != 0 || o.Commands[wire.CmdPOLL] != 0 {
		t.Fatalf("observed %v", o.Commands)
	}
}

func TestProvisionNeedsAKey(t *testing.T) {
	for _, key := range []string{"", "default"} {
		err := (Config{Line: serialline.Line{Port: "/dev/x"}, PDs: []PDConfig{{Device: "d", Address: 1, Key: key, Provision: true}}}).Validate()
		if err == nil || !strings.Contains(err.Error(), "provision needs the key") {
			t.Errorf("key %q with provision: %v", key, err)
		}
	}
}
