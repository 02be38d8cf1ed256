package wire

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestCRC16CheckValue(t *testing.T) {
	if got := CRC16([]byte("123456789")); got != 0xE5CC {
		t.Fatalf("CRC16(123456789) = %04X, want E5CC (CRC-16/SPI-FUJITSU)", got)
	}
}

// TestCheckVectors covers the SIA Annex E check-byte vectors of NOTES.md §1.
func TestCheckVectors(t *testing.T) {
	for _, tc := range []struct{ name, body, trailer string }{
		{"crc comset broadcast", "53 7F 0D 00 04 6E 00 80 25 00 00", "6E 38"},
		{"crc id", "53 00 09 00 04 61 00", "C0 66"},
		{"checksum comset broadcast", "53 7F 0C 00 00 6E 00 80 25 00 00", "0F"},
		{"checksum id", "53 00 08 00 00 61 00", "44"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, want := unhex(t, tc.body), unhex(t, tc.trailer)
			var got []byte
			if len(want) == 2 {
				c := CRC16(body)
				got = []byte{byte(c), byte(c >> 8)}
			} else {
				got = []byte{Checksum(body)}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("check = % X, want % X", got, want)
			}
			f, n, err := Decode(append(body, want...))
			if err != nil || n != len(body)+len(want) {
				t.Fatalf("Decode: %v (n=%d)", err, n)
			}
			if f.Addr != body[1] || f.Code != body[5] {
				t.Fatalf("decoded %+v", f)
			}
		})
	}
}

// TestFrameVectors encodes and decodes every published frame of NOTES.md §1.
func TestFrameVectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		wire string
		mark bool
		f    Frame
	}{
		{"libosdp poll 0x65 sqn0", "FF 53 65 08 00 04 60 60 90", true,
			Frame{Addr: 0x65, CRC: true, Code: CmdPOLL, Data: []byte{}}},
		{"libosdp id", "FF 53 65 09 00 04 61 00 D9 7A", true,
			Frame{Addr: 0x65, CRC: true, Code: CmdID, Data: []byte{0}}},
		{"libosdp ack checksum", "FF 53 E5 07 00 01 40 80", true,
			Frame{Addr: 0x65, Reply: true, SQN: 1, Code: ReplyACK, Data: []byte{}}},
		{"osdp.net comset crc", "FF 53 00 0D 00 06 6E 01 80 25 00 00 EC 7B", true,
			Frame{Addr: 0, SQN: 2, CRC: true, Code: CmdCOMSET, Data: ComSettings{1, 9600}.Append(nil)}},
		{"osdp.net comset checksum", "FF 53 00 0C 00 02 6E 01 80 25 00 00 8B", true,
			Frame{Addr: 0, SQN: 2, Code: CmdCOMSET, Data: ComSettings{1, 9600}.Append(nil)}},
		{"osdp.net cap", "FF 53 00 09 00 06 62 00 F3 5D", true,
			Frame{SQN: 2, CRC: true, Code: CmdCAP, Data: []byte{0}}},
		{"osdp.net buz", "53 00 0D 00 06 6A 00 02 02 02 01 59 92", false,
			Frame{SQN: 2, CRC: true, Code: CmdBUZ, Data: Buzzer{0, ToneDefault, 2, 2, 1}.Append(nil)}},
		{"osdp.net pdid", "53 80 14 00 06 45 00 0E E3 10 10 00 00 74 97 23 06 06 1B 88", false,
			Frame{Reply: true, SQN: 2, CRC: true, Code: ReplyPDID, Data: PDID{
				VendorOUI: [3]byte{0x00, 0x0E, 0xE3}, Model: 0x10, Version: 0x10, Serial: 0x97740000,
				FirmwareMajor: 0x23, FirmwareMinor: 6, FirmwareBuild: 6}.Append(nil)}},
		{"sia comset broadcast crc", "53 7F 0D 00 04 6E 00 80 25 00 00 6E 38", false,
			Frame{Addr: Broadcast, CRC: true, Code: CmdCOMSET, Data: ComSettings{0, 9600}.Append(nil)}},
		{"sia comset broadcast checksum", "53 7F 0C 00 00 6E 00 80 25 00 00 0F", false,
			Frame{Addr: Broadcast, Code: CmdCOMSET, Data: ComSettings{0, 9600}.Append(nil)}},
		{"calc poll sqn1", "53 01 08 00 05 60 8B 33", false,
			Frame{Addr: 1, SQN: 1, CRC: true, Code: CmdPOLL, Data: []byte{}}},
		{"calc ack", "53 81 08 00 05 40 39 35", false,
			Frame{Addr: 1, Reply: true, SQN: 1, CRC: true, Code: ReplyACK, Data: []byte{}}},
		{"calc nak sqn", "53 81 09 00 05 41 04 12 86", false,
			Frame{Addr: 1, Reply: true, SQN: 1, CRC: true, Code: ReplyNAK, Data: Nak{Code: NakSQN}.Append(nil)}},
		{"calc lstatr tamper", "53 81 0A 00 07 48 01 00 A2 A1", false,
			Frame{Addr: 1, Reply: true, SQN: 3, CRC: true, Code: ReplyLSTATR, Data: LocalStatus{Tamper: true}.Append(nil)}},
		{"calc keypad 12#", "53 81 0D 00 06 53 00 03 31 32 0D 1E 50", false,
			Frame{Addr: 1, Reply: true, SQN: 2, CRC: true, Code: ReplyKEYPAD, Data: mustKeypad(t, Keypad{0, "12#"})}},
		{"calc raw wiegand26", "53 81 10 00 05 50 00 01 1A 00 22 51 27 C0 27 D2", false,
			Frame{Addr: 1, Reply: true, SQN: 1, CRC: true, Code: ReplyRAW,
				Data: RawCard{Format: FormatWiegand, Bits: 26, Data: []byte{0x22, 0x51, 0x27, 0xC0}}.Append(nil)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.wire)
			got, err := tc.f.Encode(tc.mark)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Encode = % X\nwant     % X", got, want)
			}
			f, n, err := Decode(want)
			if err != nil || n != len(want) {
				t.Fatalf("Decode: %v (n=%d of %d)", err, n, len(want))
			}
			if f.Addr != tc.f.Addr || f.Reply != tc.f.Reply || f.SQN != tc.f.SQN || f.CRC != tc.f.CRC ||
				f.Code != tc.f.Code || !bytes.Equal(f.Data, tc.f.Data) {
				t.Fatalf("Decode = %+v\nwant     %+v", f, tc.f)
			}
		})
	}
}

func mustKeypad(t *testing.T, k Keypad) []byte {
	t.Helper()
	b, err := k.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPayloadVectors decodes the published payload vectors.
func TestPayloadVectors(t *testing.T) {
	t.Run("raw reader 5 16 bits", func(t *testing.T) {
		c, err := DecodeRawCard(unhex(t, "05 00 10 00 12 AB"))
		if err != nil {
			t.Fatal(err)
		}
		if c.Reader != 5 || c.Format != FormatRaw || c.Bits != 16 || !bytes.Equal(c.Data, []byte{0x12, 0xAB}) {
			t.Fatalf("got %+v", c)
		}
	})
	t.Run("out records", func(t *testing.T) {
		b := unhex(t, "03 01 C4 09 05 04 10 27")
		recs, err := DecodeOutputs(b)
		if err != nil {
			t.Fatal(err)
		}
		want := []OutputControl{{3, OutOffAbort, 2500}, {5, OutOnAfter, 10000}}
		if len(recs) != 2 || recs[0] != want[0] || recs[1] != want[1] {
			t.Fatalf("got %+v, want %+v", recs, want)
		}
		if got := AppendOutputs(nil, want); !bytes.Equal(got, b) {
			t.Fatalf("AppendOutputs = % X", got)
		}
	})
	t.Run("pdid fields", func(t *testing.T) {
		f, _, err := Decode(unhex(t, "53 80 14 00 06 45 00 0E E3 10 10 00 00 74 97 23 06 06 1B 88"))
		if err != nil {
			t.Fatal(err)
		}
		id, err := DecodePDID(f.Data)
		if err != nil {
			t.Fatal(err)
		}
		if id.VendorOUI != [3]byte{0, 0x0E, 0xE3} || id.Serial != 0x97740000 || id.Firmware() != "35.6.6" {
			t.Fatalf("got %+v", id)
		}
	})
	t.Run("keypad 12#", func(t *testing.T) {
		k, err := DecodeKeypad(unhex(t, "00 03 31 32 0D"))
		if err != nil || k.Keys != "12#" {
			t.Fatalf("got %+v, %v", k, err)
		}
		k, err = DecodeKeypad([]byte{1, 2, 0x7F, '0'})
		if err != nil || k.Keys != "*0" || k.Reader != 1 {
			t.Fatalf("got %+v, %v", k, err)
		}
	})
}
