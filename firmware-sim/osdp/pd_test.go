package osdp

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cmd(addr, sqn, code byte, data ...byte) wire.Frame {
	return wire.Frame{Addr: addr, SQN: sqn, CRC: true, Code: code, Data: data}
}

func decodeReply(t *testing.T, b []byte) wire.Frame {
	t.Helper()
	f, n, err := wire.Decode(b)
	if err != nil || n != len(b) || !f.Reply {
		t.Fatalf("reply % X: %+v, %v", b, f, err)
	}
	return f
}

// TestSequenceNumbers: SQN 0 resets, 1→2→3→1 is followed, a repeated SQN
// gets the previous reply byte for byte, anything else NAK 4.
func TestSequenceNumbers(t *testing.T) {
	pd, err := newPD(Config{Address: 1})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		sqn  byte
		code byte
		want string // the reply code expected, or "same" for a byte-for-byte resend
		nak  byte
	}{
		{"fresh PD refuses SQN 1", 1, wire.CmdPOLL, "NAK", wire.NakSQN},
		{"SQN 0 resets", 0, wire.CmdPOLL, "ACK", 0},
		{"then 1", 1, wire.CmdID, "PDID", 0},
		{"retransmit 1", 1, wire.CmdID, "same", 0},
		{"skip to 3", 3, wire.CmdPOLL, "NAK", wire.NakSQN},
		{"2", 2, wire.CmdPOLL, "ACK", 0},
		{"3", 3, wire.CmdPOLL, "ACK", 0},
		{"wraps to 1 not 0", 1, wire.CmdPOLL, "ACK", 0},
		{"0 again resets", 0, wire.CmdLSTAT, "LSTATR", 0},
	}
	var prev []byte
	for _, s := range steps {
		out := pd.respond(cmd(1, s.sqn, s.code, 0), nil, 1)
		if s.want == "same" {
			if !bytes.Equal(out, prev) {
				t.Fatalf("%s: % X, want the previous reply % X", s.name, out, prev)
			}
			continue
		}
		f := decodeReply(t, out)
		if wire.CodeName(f.Code, true) != s.want || f.SQN != s.sqn || f.Addr != 1 {
			t.Fatalf("%s: got %s SQN %d", s.name, wire.CodeName(f.Code, true), f.SQN)
		}
		if s.nak != 0 && f.Data[0] != s.nak {
			t.Fatalf("%s: NAK %d, want %d", s.name, f.Data[0], s.nak)
		}
		prev = out
	}
}

// TestCardSwipeIsTheNotesVector: a swipe of FC 68 / card 41551 answers POLL
// SQN 1 at address 1 with the RAW frame of NOTES.md §1, and a retransmitted
// POLL gets the same read again rather than losing it.
func TestCardSwipeIsTheNotesVector(t *testing.T) {
	pd, _ := newPD(Config{Address: 1})
	pd.respond(cmd(1, 0, wire.CmdPOLL), nil, 1)
	if err := pd.SwipeCard(wiegand.H10301, 68, 41551); err != nil {
		t.Fatal(err)
	}
	want := append([]byte{wire.Mark}, unhex(t, "53 81 10 00 05 50 00 01 1A 00 22 51 27 C0 27 D2")...)
	if got := pd.respond(cmd(1, 1, wire.CmdPOLL), nil, 1); !bytes.Equal(got, want) {
		t.Fatalf("RAW reply % X\nwant      % X", got, want)
	}
	if got := pd.respond(cmd(1, 1, wire.CmdPOLL), nil, 1); !bytes.Equal(got, want) {
		t.Fatalf("retransmitted POLL: % X", got)
	}
	if f := decodeReply(t, pd.respond(cmd(1, 2, wire.CmdPOLL), nil, 1)); f.Code != wire.ReplyACK {
		t.Fatalf("next POLL: %s, want ACK (the read was delivered once)", wire.CodeName(f.Code, true))
	}
}

func TestScriptedEvents(t *testing.T) {
	pd, _ := newPD(Config{Address: 2, QueueLen: 3})
	pd.respond(cmd(2, 0, wire.CmdPOLL), nil, 2)
	if err := pd.EnterPIN("12#"); err != nil {
		t.Fatal(err)
	}
	pd.SetTamper(true)
	pd.SetTamper(true) // no change, no event
	if err := pd.SetInput(0, true); err != nil {
		t.Fatal(err)
	}
	pd.SetPowerFailure(true) // fourth event: the PIN is dropped
	if err := pd.SetInput(5, true); err == nil {
		t.Fatal("SetInput(5) accepted on a PD with 2 inputs")
	}
	if err := pd.EnterPIN("12A"); err == nil {
		t.Fatal("EnterPIN accepted A")
	}
	var got []string
	for sqn := byte(1); len(got) < 4; sqn = nextSQN(sqn) {
		f := decodeReply(t, pd.respond(cmd(2, sqn, wire.CmdPOLL), nil, 2))
		got = append(got, wire.CodeName(f.Code, true)+hex.EncodeToString(f.Data))
	}
	want := []string{"LSTATR0100", "ISTATR0100", "LSTATR0101", "ACK"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("polled %v, want %v", got, want)
	}
	if o := pd.Observed(); o.Dropped != 1 || o.Commands[wire.CmdPOLL] != 5 {
		t.Fatalf("observed %+v", o)
	}
}

func TestCommandsObserved(t *testing.T) {
	pd, _ := newPD(Config{Address: 3})
	pd.respond(cmd(3, 0, wire.CmdPOLL), nil, 3)
	out := wire.AppendOutputs(nil, []wire.OutputControl{{Output: 0, Code: wire.OutOnAbort}, {Output: 0, Code: wire.OutPulseOff, Timer: 30}})
	led := wire.AppendLEDs(nil, []wire.LEDControl{{Temporary: wire.LEDState{Control: 2, OnColor: wire.ColorGreen, Timer: 30}}})
	for _, s := range []struct {
		c    wire.Frame
		want string
	}{
		{cmd(3, 1, wire.CmdOUT, out...), "OSTATR01"},
		{cmd(3, 2, wire.CmdLED, led...), "ACK"},
		{cmd(3, 3, wire.CmdBUZ, 0, 2, 1, 1, 2), "ACK"},
		{cmd(3, 1, wire.CmdOUT, 7, 2, 0, 0), "NAK09"},
		{cmd(3, 2, wire.CmdID), "NAK02"},
		{cmd(3, 3, 0x99), "NAK03"},
		{cmd(3, 1, wire.CmdCAP, 0), "PDCAP"},
		{cmd(3, 2, wire.CmdCOMSET, 3, 0x00, 0xC2, 0x01, 0x00), "COM0300c20100"},
		{wire.Frame{Addr: 3, SQN: 3, CRC: true, SCB: []byte{3, 0x11, 0}, Code: wire.CmdCHLNG, Data: make([]byte, 8)}, "NAK05"},
	} {
		f := decodeReply(t, pd.respond(s.c, nil, 3))
		got := wire.CodeName(f.Code, true) + hex.EncodeToString(f.Data)
		if s.want == "PDCAP" {
			if _, err := wire.DecodePDCAP(f.Data); err != nil || f.Code != wire.ReplyPDCAP {
				t.Fatalf("CAP: %s, %v", got, err)
			}
			continue
		}
		if got != s.want {
			t.Fatalf("%s: %s, want %s", wire.CodeName(s.c.Code, false), got, s.want)
		}
	}
	o := pd.Observed()
	if !o.Outputs[0] || len(o.OutCmds) != 2 || len(o.LEDs) != 1 || o.LEDs[0].Temporary.OnColor != wire.ColorGreen || len(o.Buzzes) != 1 {
		t.Fatalf("observed %+v", o)
	}
}

func TestConfigRejects(t *testing.T) {
	for _, c := range []BusConfig{
		{},
		{Port: &bytes.Buffer{}},
		{Port: &bytes.Buffer{}, PDs: []Config{{Address: 0x7F}}},
		{Port: &bytes.Buffer{}, PDs: []Config{{Address: 1}, {Address: 1}}},
		{Port: &bytes.Buffer{}, PDs: []Config{{Address: 1, Inputs: -1}}},
	} {
		if _, err := NewBus(c); err == nil {
			t.Errorf("NewBus(%+v) accepted", c)
		}
	}
}
