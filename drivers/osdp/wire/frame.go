package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Frame size bounds.
const (
	// MinFrameLen is the shortest packet: SOM, ADDR, LEN×2, CTRL, code,
	// one-byte checksum.
	MinFrameLen = 7
	// MaxFrameLen bounds what Decode and Reader accept and buffer; PDs are
	// required to take 128 bytes and few advertise more than 1 KiB.
	MaxFrameLen = 1024
	// MACLen is the number of MAC bytes a secure-channel packet carries.
	MACLen = 4
)

// Frame is one OSDP packet without its mark byte and check trailer.
type Frame struct {
	// Addr is the PD address (0x00–0x7E, or Broadcast), without the reply bit.
	Addr byte
	// Reply is set on PD→CP packets (the 0x80 bit of the address byte).
	Reply bool
	// SQN is the sequence number 0–3.
	SQN byte
	// CRC selects the CRC-16 trailer; otherwise the 8-bit checksum.
	CRC bool
	// SCB is the security control block [length, type, data...], nil if absent.
	SCB []byte
	// Code is the command or reply code.
	Code byte
	// Data is the payload after the code (encrypted in SC data packets).
	Data []byte
	// MAC is the 4-byte truncated MAC of SCB types 0x15–0x18, else nil.
	MAC []byte
}

// hasMAC reports whether an SCB of this type is followed by a MAC.
func hasMAC(scb []byte) bool { return len(scb) >= 2 && scb[1] >= 0x15 && scb[1] <= 0x18 }

// Len is the encoded length counted by LEN: SOM through the check bytes.
func (f *Frame) Len() int {
	n := 5 + len(f.SCB) + 1 + len(f.Data) + len(f.MAC)
	if f.CRC {
		return n + 2
	}
	return n + 1
}

// Append encodes f (without mark byte) onto dst.
func (f *Frame) Append(dst []byte) ([]byte, error) {
	if err := f.validate(); err != nil {
		return dst, err
	}
	start := len(dst)
	addr := f.Addr
	if f.Reply {
		addr |= ReplyBit
	}
	ctrl := f.SQN
	if f.CRC {
		ctrl |= ctrlCRC
	}
	if f.SCB != nil {
		ctrl |= ctrlSCB
	}
	dst = append(dst, SOM, addr)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(f.Len()))
	dst = append(dst, ctrl)
	dst = append(dst, f.SCB...)
	dst = append(dst, f.Code)
	dst = append(dst, f.Data...)
	dst = append(dst, f.MAC...)
	if f.CRC {
		return binary.LittleEndian.AppendUint16(dst, CRC16(dst[start:])), nil
	}
	return append(dst, Checksum(dst[start:])), nil
}

// Encode returns f as bytes on the wire, preceded by a mark byte when mark is set.
func (f *Frame) Encode(mark bool) ([]byte, error) {
	var dst []byte
	if mark {
		dst = append(make([]byte, 0, f.Len()+1), Mark)
	}
	return f.Append(dst)
}

func (f *Frame) validate() error {
	switch {
	case f.Addr > Broadcast:
		return fmt.Errorf("osdp: address 0x%02X out of range 0x00-0x7F", f.Addr)
	case f.SQN > 3:
		return fmt.Errorf("osdp: sequence number %d out of range 0-3", f.SQN)
	case f.SCB != nil && (len(f.SCB) < 2 || int(f.SCB[0]) != len(f.SCB)):
		return fmt.Errorf("osdp: security block length byte %v does not match its %d bytes", f.SCB[:min(1, len(f.SCB))], len(f.SCB))
	case hasMAC(f.SCB) != (len(f.MAC) == MACLen) || (f.MAC != nil && len(f.MAC) != MACLen):
		return fmt.Errorf("osdp: a %d-byte MAC does not fit security block %X", len(f.MAC), f.SCB)
	case f.Len() > MaxFrameLen:
		return fmt.Errorf("osdp: frame of %d bytes exceeds %d", f.Len(), MaxFrameLen)
	}
	return nil
}

// Reason is why received bytes were rejected. Reasons are metric label
// values (gridwatch_serial_frames_rejected_total{reason}); keep them few.
type Reason string

// The reasons a frame is rejected for.
const (
	ReasonCheck    Reason = "bad_crc"     // CRC-16 or checksum mismatch
	ReasonLength   Reason = "bad_length"  // LEN below the minimum or inconsistent
	ReasonOversize Reason = "oversize"    // LEN above MaxFrameLen
	ReasonGarbage  Reason = "garbage"     // bytes outside any frame
	ReasonGap      Reason = "gap_timeout" // inter-character gap inside a frame
	ReasonSCB      Reason = "bad_scb"     // malformed security block
)

// FrameError is a rejected frame or run of bytes, with its reason.
type FrameError struct {
	Reason Reason
	Err    error
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("osdp frame rejected (%s): %v", e.Reason, e.Err)
}

// Unwrap returns the underlying error.
func (e *FrameError) Unwrap() error { return e.Err }

func reject(r Reason, format string, args ...any) error {
	return &FrameError{Reason: r, Err: fmt.Errorf(format, args...)}
}

// ErrIncomplete is returned by Decode when b holds only the start of a frame.
var ErrIncomplete = errors.New("osdp: incomplete frame")

// Decode parses one frame at the start of b (an optional mark byte first) and
// returns it with the number of bytes consumed. Data, SCB and MAC alias b. It
// returns ErrIncomplete when more bytes are needed, or a *FrameError.
func Decode(b []byte) (Frame, int, error) {
	off := 0
	if len(b) > 0 && b[0] == Mark {
		off = 1
	}
	p := b[off:]
	if len(p) == 0 {
		return Frame{}, 0, ErrIncomplete
	}
	if p[0] != SOM {
		return Frame{}, 0, reject(ReasonGarbage, "byte 0x%02X where SOM 0x53 was expected", p[0])
	}
	if len(p) < 5 {
		return Frame{}, 0, ErrIncomplete
	}
	n := int(binary.LittleEndian.Uint16(p[2:4]))
	ctrl := p[4]
	switch {
	case n < MinFrameLen:
		return Frame{}, 0, reject(ReasonLength, "LEN %d below the minimum %d", n, MinFrameLen)
	case n > MaxFrameLen:
		return Frame{}, 0, reject(ReasonOversize, "LEN %d above the limit %d", n, MaxFrameLen)
	case len(p) < n:
		return Frame{}, 0, ErrIncomplete
	}
	p = p[:n]
	f := Frame{Addr: p[1] &^ ReplyBit, Reply: p[1]&ReplyBit != 0, SQN: ctrl & ctrlSQN, CRC: ctrl&ctrlCRC != 0}
	body := p[:n-1]
	if f.CRC {
		body = p[:n-2]
		if len(body) < 6 {
			return Frame{}, 0, reject(ReasonLength, "LEN %d leaves no room for a code and CRC", n)
		}
		if got, want := binary.LittleEndian.Uint16(p[n-2:]), CRC16(body); got != want {
			return Frame{}, 0, reject(ReasonCheck, "CRC %04X, computed %04X", got, want)
		}
	} else if got, want := p[n-1], Checksum(body); got != want {
		return Frame{}, 0, reject(ReasonCheck, "checksum %02X, computed %02X", got, want)
	}
	rest := body[5:]
	if ctrl&ctrlSCB != 0 {
		if len(rest) < 2 || int(rest[0]) < 2 || int(rest[0]) >= len(rest) {
			return Frame{}, 0, reject(ReasonSCB, "security block length %v does not fit a %d-byte frame", rest[:min(1, len(rest))], n)
		}
		f.SCB, rest = rest[:rest[0]], rest[rest[0]:]
		if hasMAC(f.SCB) {
			if len(rest) < 1+MACLen {
				return Frame{}, 0, reject(ReasonSCB, "no room for a MAC after security block type 0x%02X", f.SCB[1])
			}
			f.MAC, rest = rest[len(rest)-MACLen:], rest[:len(rest)-MACLen]
		}
	}
	f.Code, f.Data = rest[0], rest[1:]
	return f, off + n, nil
}
