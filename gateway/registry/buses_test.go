package registry

import (
	"testing"
	"time"
)

const serialSite = `
grids:
  - {id: lianhua, name: 莲花社区, level: 3}
devices:
  - {id: rd-0001, kind: reader, grid: lianhua, osdp: {port: /dev/ttyUSB0, address: 1}}
  - {id: io-0001, kind: io, grid: lianhua, modbus: {port: /dev/ttyUSB1, unit: 1}}
  - {id: io-0002, kind: io, grid: lianhua, modbus: {port: /dev/ttyUSB1, unit: 2, profile: door-io}}
  - {id: io-0003, kind: io, grid: lianhua, modbus: {port: /dev/ttyUSB2, unit: 3, profile: lightbox-io}}
buses:
  - {port: /dev/ttyUSB0, protocol: osdp, baud: 38400, reply_timeout: 150ms}
  - {port: /dev/ttyUSB1, protocol: modbus, baud: 19200, parity: even, poll_interval: 250ms, quiet_after_timeout: 800ms}
  - {port: /dev/ttyUSB2, protocol: modbus, stop_bits: 2}
modbus_profiles:
  - id: door-io
    edges:
      - {input: 3, rising: door.forced, falling: door.closed}
      - {input: 0, rising: button.pressed}
    outputs:
      - {cmd: beacon, coil: 5, pulse: 2s}
      - {cmd: strobe, coil: 2}
`

func TestBusesAndModbusProfiles(t *testing.T) {
	r, err := Parse("serial.yaml", []byte(serialSite))
	if err != nil {
		t.Fatal(err)
	}
	osdp, ok := r.Bus("/dev/ttyUSB0")
	if !ok || *osdp != (Bus{Port: "/dev/ttyUSB0", Protocol: ProtocolOSDP, Baud: 38400, ReplyTimeout: 150 * time.Millisecond}) {
		t.Errorf("osdp bus = %+v, %v", osdp, ok)
	}
	mb, ok := r.Bus("/dev/ttyUSB1")
	if !ok || *mb != (Bus{Port: "/dev/ttyUSB1", Protocol: ProtocolModbus, Baud: 19200, Parity: "even", PollInterval: 250 * time.Millisecond,
		QuietAfterTimeout: 800 * time.Millisecond}) {
		t.Errorf("modbus bus = %+v, %v", mb, ok)
	}
	if b, ok := r.Bus("/dev/ttyUSB2"); !ok || b.StopBits != 2 {
		t.Errorf("8N2 bus = %+v, %v", b, ok)
	}
	if n := len(r.Buses()); n != 3 {
		t.Errorf("%d buses, want 3", n)
	}
	p, ok := r.ModbusProfile("door-io")
	if !ok {
		t.Fatal("profile door-io missing")
	}
	if p.InputCount() != 4 || len(p.Edges) != 2 || p.Edges[0] != (ModbusEdge{Input: 3, Rising: "door.forced", Falling: "door.closed"}) {
		t.Errorf("door-io = %+v (inputs %d)", p, p.InputCount())
	}
	if len(p.Outputs) != 2 || p.Outputs[0] != (ModbusOutput{Cmd: "beacon", Coil: 5, Pulse: 2 * time.Second}) || p.Outputs[1].Pulse != 0 {
		t.Errorf("door-io outputs = %+v", p.Outputs)
	}
	if _, ok := r.ModbusProfile(BuiltinModbusProfile); ok {
		t.Error("the built-in profile is listed as a site profile")
	}
	if len(r.ModbusProfiles()) != 1 {
		t.Errorf("profiles = %v", r.ModbusProfiles())
	}
}
