package modbus

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.bug.st/serial"

	"github.com/gridwatch/gridwatch/drivers/modbus/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/osdp"
)

// line is a running simulated bus and a serial port on the pty's other end.
type line struct {
	bus  *Bus
	port serial.Port
}

func startBus(t *testing.T, units ...byte) *line {
	t.Helper()
	pty, err := osdp.OpenPTY()
	if err != nil {
		t.Fatalf("pty: %v", err)
	}
	bus, err := NewBus(BusConfig{Port: pty.Master, Units: units, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	port, err := serial.Open(pty.SlavePath, &serial.Mode{BaudRate: 115200})
	if err != nil {
		t.Fatalf("open %s: %v", pty.SlavePath, err)
	}
	if err := port.SetReadTimeout(20 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := bus.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		port.Close()
		pty.Close()
	})
	return &line{bus: bus, port: port}
}

// ask sends req and reads what comes back within wait.
func (l *line) ask(t *testing.T, req wire.Request, wait time.Duration) []byte {
	t.Helper()
	out, err := req.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.port.Write(out); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 300)
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		n, err := l.port.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
		if _, _, err := wire.DecodeResponse(req, got); !errors.Is(err, wire.ErrIncomplete) {
			break
		}
	}
	return got
}

// mustAsk expects a well-formed answer.
func (l *line) mustAsk(t *testing.T, req wire.Request) wire.Response {
	t.Helper()
	got := l.ask(t, req, 10*time.Second)
	resp, _, err := wire.DecodeResponse(req, got)
	if err != nil {
		t.Fatalf("answer % X to %+v: %v", got, req, err)
	}
	return resp
}

func TestUnitsAnswer(t *testing.T) {
	l := startBus(t, 1, 2)
	u1 := l.bus.Unit(1)
	inputs := func(unit byte) []bool {
		r := l.mustAsk(t, wire.ReadRequest(unit, wire.ReadDiscreteInputs, 0, 3))
		return wire.Bits(r.Data, 3)
	}
	if got := inputs(1); got[InputButton] || got[InputTamper] || !got[InputMains] {
		t.Fatalf("idle inputs %v, want mains only", got)
	}
	u1.Press()
	u1.SetTamper(true)
	u1.SetMains(false)
	if got := inputs(1); !got[InputButton] || !got[InputTamper] || got[InputMains] {
		t.Fatalf("after press, tamper, mains cut: %v", got)
	}
	if got := inputs(1); got[InputButton] || !got[InputTamper] {
		t.Fatalf("press not released after one read, or tamper lost: %v", got)
	}
	if got := inputs(2); got[InputButton] || got[InputTamper] {
		t.Fatalf("unit 2 saw unit 1's inputs: %v", got)
	}

	l.mustAsk(t, wire.WriteCoilRequest(2, CoilStrobe, true))
	if !l.bus.Unit(2).Coil(CoilStrobe) || u1.Coil(CoilStrobe) {
		t.Fatalf("coils: unit 1 %v, unit 2 %v", u1.Coils(), l.bus.Unit(2).Coils())
	}
	l.mustAsk(t, wire.WriteCoilsRequest(1, 0, []bool{false, true, true}))
	if r := l.mustAsk(t, wire.ReadRequest(1, wire.ReadCoils, 0, 3)); wire.Bits(r.Data, 3)[0] || !wire.Bits(r.Data, 3)[2] {
		t.Fatalf("read coils after write: % X", r.Data)
	}
	l.mustAsk(t, wire.WriteCoilRequest(2, CoilStrobe, false))
	l.mustAsk(t, wire.WriteCoilRequest(2, CoilStrobe, true))
	l.mustAsk(t, wire.WriteCoilRequest(2, CoilStrobe, true)) // already on: not a switch
	if n := l.bus.Unit(2).SwitchedOn(CoilStrobe); n != 2 {
		t.Errorf("unit 2 strobe switched on %d times, want 2", n)
	}
	l.mustAsk(t, wire.WriteRegistersRequest(1, 4, []uint16{500, 600}))
	if r := l.mustAsk(t, wire.ReadRequest(1, wire.ReadHoldingRegisters, 4, 2)); wire.Registers(r.Data)[1] != 600 {
		t.Fatalf("holding registers % X", r.Data)
	}
	if r := l.mustAsk(t, wire.ReadRequest(1, wire.ReadInputRegisters, 15, 2)); r.Exception != wire.IllegalDataAddress {
		t.Fatalf("read past the last register: %+v", r)
	}
	if u1.Requests() == 0 {
		t.Fatal("requests not counted")
	}
}

func TestFaults(t *testing.T) {
	l := startBus(t, 1, 2)
	req := wire.ReadRequest(1, wire.ReadDiscreteInputs, 0, 3)

	l.bus.Unit(1).SetFaults(Faults{BadCRC: true})
	var fe *wire.FrameError
	if _, _, err := wire.DecodeResponse(req, l.ask(t, req, 10*time.Second)); !errors.As(err, &fe) || fe.Reason != "bad_crc" {
		t.Fatalf("bad CRC fault: %v", err)
	}
	l.bus.Unit(1).SetFaults(Faults{Noise: 5})
	got := l.ask(t, req, 500*time.Millisecond)
	if len(got) != 5+6 {
		t.Fatalf("noise fault: got % X, want 5 noise bytes and a 6-byte reply", got)
	}
	if _, _, err := wire.DecodeResponse(req, got[5:]); err != nil {
		t.Fatalf("reply after noise: %v", err)
	}
	l.bus.Unit(1).SetFaults(Faults{Silent: true})
	if got := l.ask(t, req, 300*time.Millisecond); len(got) != 0 {
		t.Fatalf("silent unit answered % X", got)
	}
	if got := l.ask(t, wire.ReadRequest(9, wire.ReadCoils, 0, 1), 300*time.Millisecond); len(got) != 0 {
		t.Fatalf("absent unit 9 answered % X", got)
	}
	l.mustAsk(t, wire.ReadRequest(2, wire.ReadCoils, 0, 1)) // the others still answer

	l.bus.Unit(1).SetFaults(Faults{})
	bc, _ := wire.WriteCoilRequest(wire.Broadcast, CoilSiren, true).Encode()
	if _, err := l.port.Write(bc); err != nil {
		t.Fatal(err)
	}
	l.mustAsk(t, wire.ReadRequest(2, wire.ReadCoils, 0, 1)) // broadcast handled before this
	if !l.bus.Unit(1).Coil(CoilSiren) || !l.bus.Unit(2).Coil(CoilSiren) {
		t.Fatal("broadcast write did not reach every unit")
	}
}

func TestNewBusRejects(t *testing.T) {
	pty, err := osdp.OpenPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	for _, tc := range []struct {
		name string
		cfg  BusConfig
	}{
		{"no port", BusConfig{Units: []byte{1}}},
		{"no units", BusConfig{Port: pty.Master}},
		{"broadcast id", BusConfig{Port: pty.Master, Units: []byte{0}}},
		{"id too high", BusConfig{Port: pty.Master, Units: []byte{248}}},
		{"duplicate", BusConfig{Port: pty.Master, Units: []byte{3, 3}}},
		{"negative baud", BusConfig{Port: pty.Master, Units: []byte{1}, Baud: -1}},
	} {
		if _, err := NewBus(tc.cfg); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if err := (&Unit{}).SetInput(Points, true); err == nil {
		t.Error("SetInput past the last input accepted")
	}
}
