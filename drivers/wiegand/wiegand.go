// Package wiegand decodes and encodes Wiegand card credentials as OSDP RAW
// card reads carry them: bits MSB first, left-justified, parity bits counted.
// The layout of a 34-bit frame is not self-describing, so the format is
// configured per reader.
package wiegand

import (
	"errors"
	"fmt"
	"strings"
)

// Format names a card layout.
type Format string

// The supported layouts.
const (
	// H10301 is the 26-bit standard: even parity, 8-bit facility, 16-bit
	// card, odd parity.
	H10301 Format = "h10301"
	// H10306 is the 34-bit layout: even parity, 16-bit facility, 16-bit
	// card, odd parity.
	H10306 Format = "h10306"
	// ZK34 is ZKTeco's "Wiegand34": H10306's parity windows, the 32 bits
	// between them read as one card number and no facility code.
	ZK34 Format = "zk34"
)

// Bits is the frame length of f, or 0 for an unknown format.
func (f Format) Bits() int {
	switch f {
	case H10301:
		return 26
	case H10306, ZK34:
		return 34
	}
	return 0
}

// ParseFormat checks a configured format name, in any letter case.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(s))
	if f.Bits() == 0 {
		return "", fmt.Errorf("wiegand: unknown format %q (want h10301, h10306 or zk34)", s)
	}
	return f, nil
}

// Credential is a decoded card.
type Credential struct {
	Format   Format
	Facility uint32
	Card     uint32
}

// ErrParity is returned when a frame fails a parity check.
var ErrParity = errors.New("wiegand: parity check failed")

// bit returns bit i (0 = first transmitted) of MSB-first data.
func bit(data []byte, i int) uint32 { return uint32(data[i/8]>>(7-i%8)) & 1 }

func field(data []byte, from, n int) uint32 {
	var v uint32
	for i := from; i < from+n; i++ {
		v = v<<1 | bit(data, i)
	}
	return v
}

func ones(data []byte, from, n int) uint32 {
	var c uint32
	for i := from; i < from+n; i++ {
		c += bit(data, i)
	}
	return c
}

// Decode reads a card of format f from bits bits of data and checks both
// parity bits.
func Decode(f Format, data []byte, bits int) (Credential, error) {
	want := f.Bits()
	switch {
	case want == 0:
		return Credential{}, fmt.Errorf("wiegand: unknown format %q", f)
	case bits != want:
		return Credential{}, fmt.Errorf("wiegand %s: %d bits, want %d", f, bits, want)
	case len(data) < (bits+7)/8:
		return Credential{}, fmt.Errorf("wiegand %s: %d data bytes cannot hold %d bits", f, len(data), bits)
	}
	half := (bits - 2) / 2 // bits under each parity bit
	if ones(data, 0, 1+half)%2 != 0 {
		return Credential{}, fmt.Errorf("%w: even parity over bits 1-%d", ErrParity, half)
	}
	if ones(data, 1+half, half+1)%2 != 1 {
		return Credential{}, fmt.Errorf("%w: odd parity over bits %d-%d", ErrParity, 1+half, bits-2)
	}
	c := Credential{Format: f}
	switch f {
	case H10301:
		c.Facility, c.Card = field(data, 1, 8), field(data, 9, 16)
	case H10306:
		c.Facility, c.Card = field(data, 1, 16), field(data, 17, 16)
	case ZK34:
		c.Card = field(data, 1, 32)
	}
	return c, nil
}

// Encode builds the frame of c, left-justified in MSB-first bytes, with its
// parity bits, and returns it with its bit count.
func Encode(c Credential) ([]byte, int, error) {
	bits := c.Format.Bits()
	var payload uint64 // the bits between the parity bits
	switch c.Format {
	case H10301:
		if c.Facility > 0xFF || c.Card > 0xFFFF {
			return nil, 0, fmt.Errorf("wiegand h10301: facility %d / card %d exceed 255 / 65535", c.Facility, c.Card)
		}
		payload = uint64(c.Facility)<<16 | uint64(c.Card)
	case H10306:
		if c.Facility > 0xFFFF || c.Card > 0xFFFF {
			return nil, 0, fmt.Errorf("wiegand h10306: facility %d / card %d exceed 65535", c.Facility, c.Card)
		}
		payload = uint64(c.Facility)<<16 | uint64(c.Card)
	case ZK34:
		if c.Facility != 0 {
			return nil, 0, fmt.Errorf("wiegand zk34: has no facility code, got %d", c.Facility)
		}
		payload = uint64(c.Card)
	default:
		return nil, 0, fmt.Errorf("wiegand: unknown format %q", c.Format)
	}
	n := bits - 2
	frame := payload << 1 // room for the odd parity bit
	hi, lo := payload>>(n/2), payload&(1<<(n/2)-1)
	frame |= uint64(onesCount(hi)%2) << (bits - 1) // even parity
	frame |= uint64(1 - onesCount(lo)%2)           // odd parity
	data := make([]byte, (bits+7)/8)
	frame <<= len(data)*8 - bits // left-justify
	for i := range data {
		data[i] = byte(frame >> (8 * (len(data) - 1 - i)))
	}
	return data, bits, nil
}

func onesCount(v uint64) int {
	c := 0
	for ; v != 0; v &= v - 1 {
		c++
	}
	return c
}
