package wire

import (
	"errors"
	"fmt"
)

// Function codes.
const (
	ReadCoils              byte = 0x01
	ReadDiscreteInputs     byte = 0x02
	ReadHoldingRegisters   byte = 0x03
	ReadInputRegisters     byte = 0x04
	WriteSingleCoil        byte = 0x05
	WriteSingleRegister    byte = 0x06
	WriteMultipleCoils     byte = 0x0F
	WriteMultipleRegisters byte = 0x10
)

// Exception codes.
const (
	IllegalFunction    byte = 0x01
	IllegalDataAddress byte = 0x02
	IllegalDataValue   byte = 0x03
	ServerDeviceFault  byte = 0x04
)

// Limits of the protocol.
const (
	// MaxADU is the longest RTU frame: unit, 253-byte PDU, CRC.
	MaxADU = 256
	// MaxUnit is the highest unicast unit id; 0 is broadcast.
	MaxUnit = 247
	// Broadcast addresses every slave; none answers.
	Broadcast byte = 0

	maxReadBits  = 2000
	maxReadRegs  = 125
	maxWriteBits = 1968
	maxWriteRegs = 123
	coilOn       = 0xFF00
)

// ErrIncomplete means more bytes are needed to decide.
var ErrIncomplete = errors.New("modbus: incomplete frame")

// FrameError is a frame that is complete but unusable. Reason is a short
// metric label (bad_crc, wrong_unit, wrong_function, bad_length, mismatch,
// illegal_function, illegal_value). Exception, when not zero, is the
// exception a slave answers it with.
type FrameError struct {
	Reason    string
	Exception byte
	Detail    string
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("modbus: %s: %s", e.Reason, e.Detail)
}

func frameErr(reason string, exc byte, format string, a ...any) *FrameError {
	return &FrameError{Reason: reason, Exception: exc, Detail: fmt.Sprintf(format, a...)}
}

// ExceptionError is an exception response from a slave.
type ExceptionError struct {
	Unit, Func, Code byte
}

func (e *ExceptionError) Error() string {
	return fmt.Sprintf("modbus: unit %d answered function 0x%02X with exception %d (%s)", e.Unit, e.Func, e.Code, ExceptionName(e.Code))
}

// ExceptionName names an exception code.
func ExceptionName(c byte) string {
	switch c {
	case IllegalFunction:
		return "illegal function"
	case IllegalDataAddress:
		return "illegal data address"
	case IllegalDataValue:
		return "illegal data value"
	case ServerDeviceFault:
		return "server device failure"
	}
	return "unknown"
}

// isRead reports whether fn reads bits or registers.
func isRead(fn byte) bool { return fn >= ReadCoils && fn <= ReadInputRegisters }

// isBits reports whether fn reads bits (coils or discrete inputs).
func isBits(fn byte) bool { return fn == ReadCoils || fn == ReadDiscreteInputs }

// Bits unpacks the first n bits of data, LSB of the first byte first.
func Bits(data []byte, n int) []bool {
	n = min(n, 8*len(data))
	out := make([]bool, n)
	for i := range out {
		out[i] = data[i/8]&(1<<(i%8)) != 0
	}
	return out
}

// PackBits packs bits LSB first, zero-padding the last byte.
func PackBits(bits []bool) []byte {
	out := make([]byte, (len(bits)+7)/8)
	for i, b := range bits {
		if b {
			out[i/8] |= 1 << (i % 8)
		}
	}
	return out
}

// Registers reads big-endian 16-bit registers from data.
func Registers(data []byte) []uint16 {
	out := make([]uint16, len(data)/2)
	for i := range out {
		out[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
	}
	return out
}

// PackRegisters writes registers big-endian.
func PackRegisters(regs []uint16) []byte {
	out := make([]byte, 0, 2*len(regs))
	for _, r := range regs {
		out = append(out, byte(r>>8), byte(r))
	}
	return out
}
