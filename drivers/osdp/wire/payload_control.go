package wire

import (
	"encoding/binary"
	"fmt"
)

// OUT control codes.
const (
	OutNop          byte = 0
	OutOffAbort     byte = 1 // permanent off, abort timed operation
	OutOnAbort      byte = 2 // permanent on, abort timed operation
	OutOffAfter     byte = 3 // permanent off after the timed operation
	OutOnAfter      byte = 4 // permanent on after the timed operation
	OutPulseOn      byte = 5 // temporary on for Timer, then resume
	OutPulseOff     byte = 6 // temporary off for Timer, then resume
	outCodeMaxValid      = OutPulseOff
)

// OutputControl is one record of an OUT command. Timer is in 100 ms units.
type OutputControl struct {
	Output byte
	Code   byte
	Timer  uint16
}

// DecodeOutputs parses an OUT payload.
func DecodeOutputs(b []byte) ([]OutputControl, error) {
	if len(b) == 0 || len(b)%4 != 0 {
		return nil, fmt.Errorf("osdp OUT: %d bytes is not a non-empty multiple of 4", len(b))
	}
	out := make([]OutputControl, 0, len(b)/4)
	for i := 0; i < len(b); i += 4 {
		if b[i+1] > outCodeMaxValid {
			return nil, fmt.Errorf("osdp OUT: record %d has control code %d", i/4, b[i+1])
		}
		out = append(out, OutputControl{Output: b[i], Code: b[i+1], Timer: binary.LittleEndian.Uint16(b[i+2:])})
	}
	return out, nil
}

// AppendOutputs encodes recs onto dst.
func AppendOutputs(dst []byte, recs []OutputControl) []byte {
	for _, r := range recs {
		dst = binary.LittleEndian.AppendUint16(append(dst, r.Output, r.Code), r.Timer)
	}
	return dst
}

// LED colours.
const (
	ColorOff     byte = 0
	ColorRed     byte = 1
	ColorGreen   byte = 2
	ColorAmber   byte = 3
	ColorBlue    byte = 4
	ColorMagenta byte = 5
	ColorCyan    byte = 6
	ColorWhite   byte = 7
)

// LEDState is one half (temporary or permanent) of an LED record. Times are
// in 100 ms units. Timer is used by the temporary half only.
type LEDState struct {
	Control  byte
	OnTime   byte
	OffTime  byte
	OnColor  byte
	OffColor byte
	Timer    uint16
}

// LEDControl is one 14-byte record of an LED command.
type LEDControl struct {
	Reader    byte
	LED       byte
	Temporary LEDState
	Permanent LEDState
}

const ledRecordLen = 14

// DecodeLEDs parses an LED payload.
func DecodeLEDs(b []byte) ([]LEDControl, error) {
	if len(b) == 0 || len(b)%ledRecordLen != 0 {
		return nil, fmt.Errorf("osdp LED: %d bytes is not a non-empty multiple of %d", len(b), ledRecordLen)
	}
	recs := make([]LEDControl, 0, len(b)/ledRecordLen)
	for i := 0; i < len(b); i += ledRecordLen {
		r := b[i : i+ledRecordLen]
		rec := LEDControl{
			Reader: r[0], LED: r[1],
			Temporary: LEDState{Control: r[2], OnTime: r[3], OffTime: r[4], OnColor: r[5], OffColor: r[6],
				Timer: binary.LittleEndian.Uint16(r[7:9])},
			Permanent: LEDState{Control: r[9], OnTime: r[10], OffTime: r[11], OnColor: r[12], OffColor: r[13]},
		}
		if rec.Temporary.Control > 2 || rec.Permanent.Control > 1 {
			return nil, fmt.Errorf("osdp LED: record %d has control codes %d/%d", i/ledRecordLen, r[2], r[9])
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// AppendLEDs encodes recs onto dst.
func AppendLEDs(dst []byte, recs []LEDControl) []byte {
	for _, r := range recs {
		t, p := r.Temporary, r.Permanent
		dst = append(dst, r.Reader, r.LED, t.Control, t.OnTime, t.OffTime, t.OnColor, t.OffColor)
		dst = binary.LittleEndian.AppendUint16(dst, t.Timer)
		dst = append(dst, p.Control, p.OnTime, p.OffTime, p.OnColor, p.OffColor)
	}
	return dst
}

// Buzzer tones.
const (
	ToneNone    byte = 0
	ToneOff     byte = 1
	ToneDefault byte = 2
)

// Buzzer is the payload of BUZ. Times are in 100 ms units; Count 0 repeats
// until told otherwise.
type Buzzer struct {
	Reader  byte
	Tone    byte
	OnTime  byte
	OffTime byte
	Count   byte
}

// DecodeBuzzer parses a BUZ payload.
func DecodeBuzzer(b []byte) (Buzzer, error) {
	if len(b) != 5 {
		return Buzzer{}, fmt.Errorf("osdp BUZ: %d bytes, want 5", len(b))
	}
	return Buzzer{Reader: b[0], Tone: b[1], OnTime: b[2], OffTime: b[3], Count: b[4]}, nil
}

// Append encodes z onto dst.
func (z Buzzer) Append(dst []byte) []byte {
	return append(dst, z.Reader, z.Tone, z.OnTime, z.OffTime, z.Count)
}
