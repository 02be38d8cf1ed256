package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	osdpwire "github.com/gridwatch/gridwatch/drivers/osdp/wire"
	sim "github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// readerRules command the reader itself when its door is forced: the
// strobe and siren become the reader's LED and buzzer; a command no reader
// takes is refused and counted.
const readerRules = `
rules:
  - id: door_forced
    types: [door.forced]
    severity: orange
    title: "{{device}} 门被强行打开"
    commands:
      - {to: self, cmd: strobe, args: {seconds: 30}}
      - {to: self, cmd: siren, args: {seconds: 10}}
      - {to: self, cmd: dance, args: {seconds: 1}}
`

// TestRuleCommandsReachAnOSDPReader forces the door of a simulated reader:
// the site rule's strobe flashes the PD's LED red for 30 s and its siren
// beeps the buzzer 10 times; "dance" is refused (counted, logged), and the
// alarm pages all the same.
func TestRuleCommandsReachAnOSDPReader(t *testing.T) {
	pty := serialLine(t)
	bus, err := sim.NewBus(sim.BusConfig{Port: pty.Master, PDs: []sim.Config{{Address: 2}}, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	runSim(t, bus.Run)
	s := startSite(t, siteOptions{mutate: func(c *config.Config) {
		dir := filepath.Dir(c.Registry)
		c.Registry = filepath.Join(dir, "registry-serial.yaml")
		reg := siteRegistry + fmt.Sprintf("  - {id: rd-0002, kind: reader, grid: lh-g4-07, osdp: {port: %q, address: 2, door: {}}}\n", pty.SlavePath)
		c.Rules = filepath.Join(dir, "rules.yaml")
		for path, body := range map[string]string{c.Registry: reg, c.Rules: readerRules} {
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}})
	phones := s.phones("room1")
	pd := bus.PD(2)
	testsvc.Eventually(t, 30*time.Second, "the door reader polled", func() bool { return pd.Observed().Commands[osdpwire.CmdPOLL] > 0 })

	if err := pd.SetDoor(true); err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, 30*time.Second, "door_forced paged", func() bool {
		for _, n := range phones["room1"].all() {
			if n.Rule == "door_forced" && n.Device == "rd-0002" {
				return true
			}
		}
		return false
	})
	testsvc.Eventually(t, 30*time.Second, "the reader's LED flashing red for 30 s and its buzzer beeping 10 times", func() bool {
		o := pd.Observed()
		led, buzz := false, false
		for _, l := range o.LEDs {
			led = led || (l.Temporary.OnColor == osdpwire.ColorRed && l.Temporary.OffTime > 0 && l.Temporary.Timer == 300)
		}
		for _, z := range o.Buzzes {
			buzz = buzz || (z.Tone == osdpwire.ToneDefault && z.Count == 10)
		}
		return led && buzz
	})
	bus485 := "osdp-" + filepath.Base(pty.SlavePath)
	testsvc.Eventually(t, 30*time.Second, "strobe and siren counted ok, dance refused", func() bool {
		m := s.metrics()
		return commandsOK(m, bus485) == 2 &&
			regexp.MustCompile(`gridwatch_serial_commands_total\{bus="`+regexp.QuoteMeta(bus485)+`",outcome="refused"\} 1\b`).MatchString(m)
	})
}
