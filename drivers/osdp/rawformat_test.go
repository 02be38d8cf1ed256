package osdp

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// TestRawFormatCodeZero: readers such as libosdp's send their Wiegand reads
// as osdp_RAW with format code 0 ("not specified"). The payloads below are
// written from the public specification's layout of reply 0x50: reader
// number, format code, bit count LSB then MSB, then the bits MSB first,
// left-justified. A 26- or 34-bit read of format 0 is decoded as Wiegand
// (per the reader's format when one is configured), so a known card opens
// the door; other bit counts stay raw and decide nothing.
func TestRawFormatCodeZero(t *testing.T) {
	door := func() *Door { return &Door{Cards: []CardRule{{Facility: 68, Card: "41551"}, {Card: "3000000001"}}} }
	for _, tc := range []struct {
		name, format, payload string
		want                  map[string]any // card.read data; nil: none
		grant                 bool
	}{
		{"26 bits, no format configured", "", "00 00 1A 00 22 51 27 C0",
			map[string]any{"card": "41551", "facility": 68, "format": "h10301", "bits": 26}, true},
		{"26 bits, h10301 configured", "h10301", "00 00 1A 00 22 51 27 C0",
			map[string]any{"card": "41551", "facility": 68, "format": "h10301"}, true},
		{"34 bits, no format configured", "", "00 00 22 00 01 F4 08 49 40",
			map[string]any{"card": "4242", "facility": 1000, "format": "h10306", "bits": 34}, false},
		{"34 bits, zk34 configured", "zk34", "00 00 22 00 D9 68 2F 00 C0",
			map[string]any{"card": "3000000001", "format": "zk34"}, true},
		{"unknown card of format 0 is denied", "", "00 00 1A 00 A1 D1 27 C0", // facility 67
			map[string]any{"card": "41551", "facility": 67}, false},
		{"16 bits of format 0 stay raw", "", "00 00 10 00 12 AB",
			map[string]any{"format": "raw", "raw": "12ab", "bits": 16}, false},
		{"26 bits of format 0 failing parity stay raw", "", "00 00 1A 00 A2 51 27 C0",
			map[string]any{"format": "raw", "raw": "a25127c0"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &collector{}
			b, err := New(Config{Line: serialline.Line{Port: "/dev/null"},
				PDs: []PDConfig{{Device: "rd-1", Address: 1, Format: tc.format, Door: door()}}}, sink, Options{})
			if err != nil {
				t.Fatal(err)
			}
			data, err := hex.DecodeString(strings.ReplaceAll(tc.payload, " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			b.handle(b.pds[0], wire.Frame{Addr: 1, Reply: true, Code: 0x50, Data: data})
			reads := sink.find("rd-1", CardRead)
			if len(reads) != 1 {
				t.Fatalf("%d card.read events, want 1", len(reads))
			}
			for k, v := range tc.want {
				if reads[0].Data[k] != v {
					t.Errorf("card.read %s = %v, want %v (data %v)", k, reads[0].Data[k], v, reads[0].Data)
				}
			}
			granted := len(sink.find("rd-1", event.AccessGranted)) == 1
			denied := len(sink.find("rd-1", event.AccessDenied)) == 1
			if granted != tc.grant {
				t.Errorf("granted = %v, want %v", granted, tc.grant)
			}
			if decided := tc.want["format"] != "raw"; decided && !granted && !denied {
				t.Error("a decoded card got no access decision")
			} else if !decided && (granted || denied) {
				t.Error("a raw read got an access decision")
			}
		})
	}
}

// TestRawFormatZeroOverThePTY: a simulated reader sends a known card with
// format code 0 over a real pty, and the door opens.
func TestRawFormatZeroOverThePTY(t *testing.T) {
	r := startRig(t, []int{1}, 115200, func(c *Config) { c.PDs[0].Door = testDoor() })
	if err := r.sim.PD(1).SwipeRaw(wire.FormatRaw, 26, []byte{0x22, 0x51, 0x27, 0xC0}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "access granted to a format-0 read", func() bool {
		return len(r.sink.find(dev(1), event.AccessGranted)) == 1 && len(r.sim.PD(1).Observed().OutCmds) == 1
	})
}
