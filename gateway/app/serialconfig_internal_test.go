package app

import (
	"reflect"
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
  - {port: /dev/ttyUSB1, protocol: modbus, baud: 19200, parity: odd, poll_interval: 250ms, reply_timeout: 80ms}
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
	pds := []osdp.PDConfig{{Device: "rd-1", Address: 1}}
	got := osdpConfig(reg, "osdp-ttyUSB0", "/dev/ttyUSB0", pds)
	want := osdp.Config{Name: "osdp-ttyUSB0", Port: "/dev/ttyUSB0", PDs: pds, Baud: 115200, Parity: serialline.ParityEven,
		PollInterval: 40 * time.Millisecond, ReplyTimeout: 120 * time.Millisecond}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("osdp config\n got %+v\nwant %+v", got, want)
	}
	if got := osdpConfig(reg, "osdp-ttyUSB3", "/dev/ttyUSB3", pds); got.Baud != 0 || got.Parity != "" || got.PollInterval != 0 || got.ReplyTimeout != 0 {
		t.Errorf("a port without a buses entry must keep the driver defaults: %+v", got)
	}

	units := []modbus.UnitConfig{{Device: "io-1", Unit: 1, Profile: "door-io"}}
	mb := modbusConfig(reg, "modbus-ttyUSB1", "/dev/ttyUSB1", units)
	if mb.Baud != 19200 || mb.Parity != serialline.ParityOdd || mb.Interval != 250*time.Millisecond || mb.Timeout != 80*time.Millisecond {
		t.Errorf("modbus line settings %+v", mb)
	}
	wantProfile := modbus.Profile{Inputs: 4, Edges: []modbus.Edge{{Input: 3, Rising: "door.forced", Falling: "door.closed"}},
		Outputs: map[string]modbus.Output{"beacon": {Coil: 5, Pulse: 2 * time.Second}, "lamp": {Coil: 6}}}
	if !reflect.DeepEqual(mb.Profiles, map[string]modbus.Profile{"door-io": wantProfile}) {
		t.Errorf("profiles %+v", mb.Profiles)
	}
	if err := mb.Validate(); err != nil {
		t.Errorf("the driver refuses what the registry accepted: %v", err)
	}
	plain := modbusConfig(reg, "modbus-ttyUSB2", "/dev/ttyUSB2", []modbus.UnitConfig{{Device: "io-2", Unit: 2, Profile: modbus.BuiltinProfile}})
	if plain.Baud != 0 || plain.Interval != 0 || len(plain.Profiles) != 0 {
		t.Errorf("a port without a buses entry must keep the driver defaults: %+v", plain)
	}
}

// TestRegistryAndDriversAgree keeps the registry's knowledge of the
// drivers (it may not import them) in step with them.
func TestRegistryAndDriversAgree(t *testing.T) {
	if _, ok := modbus.Profiles()[registry.BuiltinModbusProfile]; !ok || registry.BuiltinModbusProfile != modbus.BuiltinProfile {
		t.Errorf("registry's built-in profile %q is not the driver's %q", registry.BuiltinModbusProfile, modbus.BuiltinProfile)
	}
	for _, baud := range registry.OSDPBauds {
		c := osdp.Config{Port: "/dev/x", Baud: baud, PDs: []osdp.PDConfig{{Device: "rd-1"}}}
		if err := c.Validate(); err != nil {
			t.Errorf("registry allows OSDP at %d baud; the driver: %v", baud, err)
		}
	}
	for _, baud := range registry.ModbusBauds {
		c := modbus.Config{Port: "/dev/x", Baud: baud, Units: []modbus.UnitConfig{{Device: "io-1", Unit: 1, Profile: modbus.BuiltinProfile}}}
		if err := c.Validate(); err != nil {
			t.Errorf("registry allows Modbus at %d baud; the driver: %v", baud, err)
		}
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
