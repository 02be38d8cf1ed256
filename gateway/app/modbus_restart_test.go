package app_test

import (
	"fmt"
	"testing"
	"time"

	simmodbus "github.com/gridwatch/gridwatch/firmware-sim/modbus"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestModbusStateAcrossAGatewayRestart: the modules on a Modbus line keep
// their state while the gateway restarts. A tamper alarm opened before the
// restart is cleared when the loop was closed meanwhile; a tamper opened
// meanwhile raises its alarm at the first poll after the start.
func TestModbusStateAcrossAGatewayRestart(t *testing.T) {
	pty := serialLine(t)
	bus, err := simmodbus.NewBus(simmodbus.BusConfig{Port: pty.Master, Units: []byte{3, 4}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	runSim(t, bus.Run)
	s := startSerialSite(t,
		fmt.Sprintf(`  - {id: io-0003, kind: io, grid: lh-g4-07, name: 莲花路30号, modbus: {port: %[1]q, unit: 3}}
  - {id: io-0004, kind: io, grid: lh-g4-08, name: 荷塘街9号, modbus: {port: %[1]q, unit: 4}}
`, pty.SlavePath),
		fmt.Sprintf("buses:\n  - {port: %q, protocol: modbus, poll_interval: 50ms}\n", pty.SlavePath))
	u3, u4 := bus.Unit(3), bus.Unit(4)
	var last alarm.Alarm // the open alarm open() saw last
	open := func(dev string) func() bool {
		return func() bool {
			for _, a := range s.alarmsOf("tamper", dev) {
				if !a.State.Closed() {
					last = a
					return true
				}
			}
			return false
		}
	}
	u3.SetTamper(true)
	testsvc.Eventually(t, 30*time.Second, "tamper alarm for io-0003", open("io-0003"))
	s.waitBoard(last.ID)

	s.stop()
	u3.SetTamper(false) // closed while the gateway is down
	u4.SetTamper(true)  // opened while the gateway is down
	s.start()

	testsvc.Eventually(t, 30*time.Second, "io-0003's tamper alarm cleared after the restart", func() bool {
		list := s.alarmsOf("tamper", "io-0003")
		return len(list) == 1 && list[0].State == alarm.Cleared
	})
	testsvc.Eventually(t, 30*time.Second, "tamper alarm for io-0004 raised after the restart", open("io-0004"))
	s.waitBoard(last.ID)
}
