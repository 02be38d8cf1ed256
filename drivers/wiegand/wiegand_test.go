package wiegand

import (
	"errors"
	"strings"
	"testing"
)

// pack turns a '0'/'1' string (first transmitted bit first) into
// left-justified MSB-first bytes.
func pack(s string) []byte {
	b := make([]byte, (len(s)+7)/8)
	for i, c := range s {
		if c == '1' {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	return b
}

// TestVectors covers every Wiegand vector of NOTES.md §2, both ways.
func TestVectors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		bits   string
		fc     uint32
		card   uint32
	}{
		{"26 FC90 card324", H10301, "00101101000000001010001000", 90, 324},
		{"26 FC99 card999", H10301, "00110001100000011111001111", 99, 999},
		{"26 FC68 card41551", H10301, "00100010010100010010011111", 68, 41551},
		{"34 FC1000 card12345", H10306, "0000000111110100000110000001110011", 1000, 12345},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Decode(tc.format, pack(tc.bits), len(tc.bits))
			if err != nil {
				t.Fatal(err)
			}
			if c.Facility != tc.fc || c.Card != tc.card {
				t.Fatalf("decoded FC %d card %d, want %d / %d", c.Facility, c.Card, tc.fc, tc.card)
			}
			data, n, err := Encode(Credential{Format: tc.format, Facility: tc.fc, Card: tc.card})
			if err != nil || n != len(tc.bits) || string(data) != string(pack(tc.bits)) {
				t.Fatalf("Encode = % X (%d bits), %v; want % X", data, n, err, pack(tc.bits))
			}
		})
	}
	// The integer forms given in the notes.
	if v := pack("00110001100000011111001111"); v[0] != 0x31 || v[1] != 0x81 || v[2] != 0xF3 || v[3] != 0xC0 {
		t.Errorf("0x0C607CF left-justified = % X", v)
	}
	// The OSDP RAW vector of §1 carries FC 68 / card 41551 as 22 51 27 C0.
	if c, err := Decode(H10301, []byte{0x22, 0x51, 0x27, 0xC0}, 26); err != nil || c.Facility != 68 || c.Card != 41551 {
		t.Errorf("RAW vector: %+v, %v", c, err)
	}
	if c, err := Decode(ZK34, pack("0000000111110100000110000001110011"), 34); err != nil || c.Card != 1000<<16|12345 {
		t.Errorf("zk34: %+v, %v", c, err)
	}
}

func TestRejects(t *testing.T) {
	good := "00100010010100010010011111"
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 1
		return string(b)
	}
	for _, tc := range []struct {
		name   string
		format Format
		data   []byte
		bits   int
		parity bool
		says   string
	}{
		{"even parity", H10301, pack(flip(good, 3)), 26, true, "even parity"},
		{"odd parity", H10301, pack(flip(good, 20)), 26, true, "odd parity"},
		{"parity bit itself", H10301, pack(flip(good, 25)), 26, true, "odd parity"},
		{"wrong length", H10301, pack(good + "0"), 27, false, "27 bits, want 26"},
		{"short data", H10306, pack(good), 34, false, "cannot hold"},
		{"unknown format", "h99", pack(good), 26, false, "unknown format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.format, tc.data, tc.bits)
			if err == nil || errors.Is(err, ErrParity) != tc.parity || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err = %v, want one saying %q (parity %v)", err, tc.says, tc.parity)
			}
		})
	}
	for _, c := range []Credential{{Format: H10301, Facility: 256}, {Format: H10306, Card: 70000}, {Format: ZK34, Facility: 1}, {Format: "x"}} {
		if _, _, err := Encode(c); err == nil {
			t.Errorf("Encode(%+v) accepted", c)
		}
	}
	if f, err := ParseFormat("H10301"); err != nil || f != H10301 {
		t.Errorf("ParseFormat(H10301) = %v, %v", f, err)
	}
	if _, err := ParseFormat("wiegand26"); err == nil {
		t.Error("ParseFormat accepted wiegand26")
	}
	if f, err := ParseFormat("h10306"); err != nil || f != H10306 {
		t.Errorf("ParseFormat(h10306) = %v, %v", f, err)
	}
}
