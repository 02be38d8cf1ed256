package wire

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// crcMSB is an independent CRC-16/MODBUS: the unreflected polynomial 0x8005
// run MSB first over bit-reversed input, with the result reversed.
func crcMSB(b []byte) uint16 {
	rev8 := func(x byte) byte {
		var r byte
		for i := range 8 {
			if x&(1<<i) != 0 {
				r |= 0x80 >> i
			}
		}
		return r
	}
	crc := uint16(0xFFFF)
	for _, c := range b {
		crc ^= uint16(rev8(c)) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x8005
			} else {
				crc <<= 1
			}
		}
	}
	var r uint16
	for i := range 16 {
		if crc&(1<<i) != 0 {
			r |= 0x8000 >> i
		}
	}
	return r
}

func TestCRCVectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want uint16 // as a number; on the wire low byte first
	}{
		{"check value", []byte("123456789"), 0x4B37},
		{"read 10 holding registers", unhex(t, "01 03 00 00 00 0A"), 0xCDC5},
		{"write coil 2 on", unhex(t, "01 05 00 02 FF 00"), 0xFA2D},
		{"empty", nil, 0xFFFF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CRC(tc.in); got != tc.want {
				t.Errorf("CRC = %04X, want %04X", got, tc.want)
			}
			if got := crcMSB(tc.in); got != tc.want {
				t.Errorf("independent CRC = %04X, want %04X", got, tc.want)
			}
			adu := AppendCRC(append([]byte(nil), tc.in...))
			if adu[len(adu)-2] != byte(tc.want) || adu[len(adu)-1] != byte(tc.want>>8) {
				t.Errorf("AppendCRC trailer % X, want low byte first", adu[len(adu)-2:])
			}
		})
	}
}

func TestCRCAgreesWithIndependent(t *testing.T) {
	b := make([]byte, 300)
	for i := range b {
		b[i] = byte(i*37 + i>>3)
		if CRC(b[:i]) != crcMSB(b[:i]) {
			t.Fatalf("CRC and independent CRC differ over % X", b[:i])
		}
	}
}

func TestCheckCRC(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"01 03 00 00 00 0A C5 CD", true},
		{"01 05 00 02 FF 00 2D FA", true},
		{"01 05 00 02 FF 00 FA 2D", false}, // high byte first
		{"01 03 00 00 00 0B C5 CD", false},
		{"C5 CD", false},
		{"", false},
	} {
		if got := CheckCRC(unhex(t, tc.in)); got != tc.want {
			t.Errorf("CheckCRC(%s) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFrameGap(t *testing.T) {
	for _, tc := range []struct {
		baud int
		want time.Duration
	}{
		{9600, 4010416 * time.Nanosecond}, // 38.5 bits / 9600
		{19200, 2005208 * time.Nanosecond},
		{38400, 1750 * time.Microsecond},
		{115200, 1750 * time.Microsecond},
	} {
		if got := FrameGap(tc.baud); got != tc.want {
			t.Errorf("FrameGap(%d) = %v, want %v", tc.baud, got, tc.want)
		}
	}
}
