package wire

import (
	"encoding/binary"
	"fmt"
)

// LocalStatus is the payload of LSTATR.
type LocalStatus struct {
	Tamper       bool
	PowerFailure bool
}

// DecodeLocalStatus parses an LSTATR payload.
func DecodeLocalStatus(b []byte) (LocalStatus, error) {
	if len(b) != 2 {
		return LocalStatus{}, fmt.Errorf("osdp LSTATR: %d bytes, want 2", len(b))
	}
	if b[0] > 1 || b[1] > 1 {
		return LocalStatus{}, fmt.Errorf("osdp LSTATR: status bytes %02X %02X, want 0 or 1", b[0], b[1])
	}
	return LocalStatus{Tamper: b[0] == 1, PowerFailure: b[1] == 1}, nil
}

// Append encodes s onto dst.
func (s LocalStatus) Append(dst []byte) []byte {
	return append(dst, b2u(s.Tamper), b2u(s.PowerFailure))
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// DecodePoints parses an ISTATR or OSTATR payload: one byte per input or
// output, 0 inactive and 1 active.
func DecodePoints(b []byte) ([]bool, error) {
	pts := make([]bool, len(b))
	for i, v := range b {
		if v > 1 {
			return nil, fmt.Errorf("osdp ISTATR/OSTATR: point %d is %d, want 0 or 1", i, v)
		}
		pts[i] = v == 1
	}
	return pts, nil
}

// AppendPoints encodes points onto dst.
func AppendPoints(dst []byte, pts []bool) []byte {
	for _, p := range pts {
		dst = append(dst, b2u(p))
	}
	return dst
}

// RAW card formats.
const (
	FormatRaw     byte = 0 // unspecified raw bits
	FormatWiegand byte = 1 // Wiegand, parity bits included in the count
)

// RawCard is the payload of a RAW card read. Data holds the bits MSB first,
// left-justified and zero-padded.
type RawCard struct {
	Reader byte
	Format byte
	Bits   uint16
	Data   []byte
}

// DecodeRawCard parses a RAW payload.
func DecodeRawCard(b []byte) (RawCard, error) {
	if len(b) < 4 {
		return RawCard{}, fmt.Errorf("osdp RAW: %d bytes, want at least 4", len(b))
	}
	c := RawCard{Reader: b[0], Format: b[1], Bits: binary.LittleEndian.Uint16(b[2:4]), Data: b[4:]}
	if want := (int(c.Bits) + 7) / 8; len(c.Data) != want || c.Bits == 0 {
		return RawCard{}, fmt.Errorf("osdp RAW: %d bits need %d data bytes, got %d", c.Bits, want, len(c.Data))
	}
	return c, nil
}

// Append encodes c onto dst.
func (c RawCard) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint16(append(dst, c.Reader, c.Format), c.Bits)
	return append(dst, c.Data...)
}

// Keypad is the payload of a KEYPAD reply. Keys holds '0'–'9', '*' and '#'.
type Keypad struct {
	Reader byte
	Keys   string
}

// On the wire '*' is 0x7F and '#' is 0x0D.
const (
	keyStar  = 0x7F
	keyPound = 0x0D
)

// DecodeKeypad parses a KEYPAD payload.
func DecodeKeypad(b []byte) (Keypad, error) {
	if len(b) < 2 || int(b[1]) != len(b)-2 {
		return Keypad{}, fmt.Errorf("osdp KEYPAD: %d bytes do not match the count byte", len(b))
	}
	keys := make([]byte, 0, len(b)-2)
	for _, c := range b[2:] {
		switch {
		case c >= '0' && c <= '9':
			keys = append(keys, c)
		case c == keyStar:
			keys = append(keys, '*')
		case c == keyPound:
			keys = append(keys, '#')
		default:
			return Keypad{}, fmt.Errorf("osdp KEYPAD: byte 0x%02X is not a key", c)
		}
	}
	return Keypad{Reader: b[0], Keys: string(keys)}, nil
}

// Append encodes k onto dst. It fails on a character that is not a key or
// more than 255 keys.
func (k Keypad) Append(dst []byte) ([]byte, error) {
	if len(k.Keys) > 255 {
		return dst, fmt.Errorf("osdp KEYPAD: %d keys, at most 255", len(k.Keys))
	}
	dst = append(dst, k.Reader, byte(len(k.Keys)))
	for _, c := range []byte(k.Keys) {
		switch {
		case c >= '0' && c <= '9':
			dst = append(dst, c)
		case c == '*':
			dst = append(dst, keyStar)
		case c == '#':
			dst = append(dst, keyPound)
		default:
			return dst, fmt.Errorf("osdp KEYPAD: %q is not a key (0-9, *, #)", c)
		}
	}
	return dst, nil
}
