package app

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/modbus"
	"github.com/gridwatch/gridwatch/drivers/osdp"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

const serialRegistry = `
grids:
  - {id: lianhua, name: 莲花社区, level: 3}
devices:
  - {id: rd-1, kind: reader, grid: lianhua, osdp: {port: /dev/ttyUSB0, address: 1}}
  - {id: rd-2, kind: reader, grid: lianhua, osdp: {port: /dev/ttyUSB3, address: 1}}
  - {id: io-1, kind: io, grid: lianhua, modbus: {port: /dev/ttyUSB1, unit: 1, profile: door-io}}
  - {id: io-2, kind: io, grid: lianhua, modbus: {port: /dev/ttyUSB2, unit: 2}}
buses:
  - {port: /dev/ttyUSB0, protocol: osdp, baud: 115200, parity: even, poll_interval: 40ms, reply_timeout: 120ms}
  - {port: /dev/ttyUSB1, protocol: modbus, baud: 19200, parity: odd, stop_bits: 2, poll_interval: 250ms, reply_timeout: 80ms, quiet_after_timeout: 900ms}
modbus_profiles:
  - id: door-io
    edges: [{input: 3, rising: door.forced, falling: door.closed}]
    outputs: [{cmd: beacon, coil: 5, pulse: 2s}, {cmd: lamp, coil: 6}]
`

func TestSerialConfigFromTheRegistry(t *testing.T) {
	reg, err := registry.Parse("serial.yaml", []byte(serialRegistry))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		port string
		want serialline.Line
	}{
		{"/dev/ttyUSB0", serialline.Line{Name: "bus-0", Port: "/dev/ttyUSB0", Baud: 115200, Parity: serialline.ParityEven,
			PollInterval: 40 * time.Millisecond, ReplyTimeout: 120 * time.Millisecond}},
		{"/dev/ttyUSB1", serialline.Line{Name: "bus-1", Port: "/dev/ttyUSB1", Baud: 19200, Parity: serialline.ParityOdd, StopBits: 2,
			PollInterval: 250 * time.Millisecond, ReplyTimeout: 80 * time.Millisecond, QuietAfterTimeout: 900 * time.Millisecond}},
		// Without a buses entry: the drivers' defaults.
		{"/dev/ttyUSB2", serialline.Line{Name: "bus-2", Port: "/dev/ttyUSB2"}},
	} {
		name := "bus-" + tc.port[len(tc.port)-1:]
		if got := lineOf(reg, name, tc.port); got != tc.want {
			t.Errorf("%s: line\n got %+v\nwant %+v", tc.port, got, tc.want)
		}
	}
	pds := []osdp.PDConfig{{Device: "rd-1", Address: 1}}
	if err := (osdp.Config{Line: lineOf(reg, "o", "/dev/ttyUSB0"), PDs: pds}).Validate(); err != nil {
		t.Errorf("the OSDP driver refuses what the registry accepted: %v", err)
	}

	units := []modbus.UnitConfig{{Device: "io-1", Unit: 1, Profile: "door-io"}}
	mb := modbus.Config{Line: lineOf(reg, "m", "/dev/ttyUSB1"), Units: units, Profiles: modbusProfiles(reg, units)}
	wantProfile := modbus.Profile{Inputs: 4, Edges: []modbus.Edge{{Input: 3, Rising: "door.forced", Falling: "door.closed"}},
		Outputs: map[string]modbus.Output{"beacon": {Coil: 5, Pulse: 2 * time.Second}, "lamp": {Coil: 6}}}
	if !reflect.DeepEqual(mb.Profiles, map[string]modbus.Profile{"door-io": wantProfile}) {
		t.Errorf("profiles %+v", mb.Profiles)
	}
	if err := mb.Validate(); err != nil {
		t.Errorf("the Modbus driver refuses what the registry accepted: %v", err)
	}
	if p := modbusProfiles(reg, []modbus.UnitConfig{{Device: "io-2", Unit: 2, Profile: modbus.BuiltinProfile}}); len(p) != 0 {
		t.Errorf("built-in profile taken for a site profile: %+v", p)
	}
}

// TestRegistryAndDriversAgree keeps the registry's knowledge of the
// drivers (it may not import them) in step with them.
func TestRegistryAndDriversAgree(t *testing.T) {
	if _, ok := modbus.Profiles()[registry.BuiltinModbusProfile]; !ok || registry.BuiltinModbusProfile != modbus.BuiltinProfile {
		t.Errorf("registry's built-in profile %q is not the driver's %q", registry.BuiltinModbusProfile, modbus.BuiltinProfile)
	}
	if !slices.Equal(registry.OSDPBauds, osdp.Bauds) || !slices.Equal(registry.ModbusBauds, modbus.Bauds) {
		t.Errorf("line speeds differ: registry OSDP %v Modbus %v, drivers %v %v", registry.OSDPBauds, registry.ModbusBauds, osdp.Bauds, modbus.Bauds)
	}
	for _, p := range []string{"", "none", "even", "odd"} {
		if !serialline.Parity(p).Valid() {
			t.Errorf("registry allows parity %q; the drivers do not", p)
		}
	}
	if registry.MaxModbusInputs != modbus.MaxInputs || registry.MaxModbusPulse != modbus.MaxPulse {
		t.Errorf("profile limits differ: registry %d inputs / %v pulse, driver %d / %v",
			registry.MaxModbusInputs, registry.MaxModbusPulse, modbus.MaxInputs, modbus.MaxPulse)
	}
}
