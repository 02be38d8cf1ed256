package wire

import "fmt"

// Request is one master request. Which fields matter depends on Func:
// reads use Addr and Count; 05 and 06 use Addr and Value (05: 0xFF00 on,
// 0x0000 off); 0F and 10 use Addr, Count and Data (packed bits, or
// big-endian registers).
type Request struct {
	Unit  byte
	Func  byte
	Addr  uint16
	Count uint16
	Value uint16
	Data  []byte
}

// ReadRequest asks unit for count items from addr with a read function
// (01–04).
func ReadRequest(unit, fn byte, addr, count uint16) Request {
	return Request{Unit: unit, Func: fn, Addr: addr, Count: count}
}

// WriteCoilRequest switches one coil.
func WriteCoilRequest(unit byte, addr uint16, on bool) Request {
	r := Request{Unit: unit, Func: WriteSingleCoil, Addr: addr}
	if on {
		r.Value = coilOn
	}
	return r
}

// WriteCoilsRequest sets len(bits) coils from addr.
func WriteCoilsRequest(unit byte, addr uint16, bits []bool) Request {
	return Request{Unit: unit, Func: WriteMultipleCoils, Addr: addr, Count: uint16(len(bits)), Data: PackBits(bits)}
}

// WriteRegistersRequest sets len(regs) holding registers from addr.
func WriteRegistersRequest(unit byte, addr uint16, regs []uint16) Request {
	return Request{Unit: unit, Func: WriteMultipleRegisters, Addr: addr, Count: uint16(len(regs)), Data: PackRegisters(regs)}
}

// check returns why r cannot be sent, as the exception a slave would answer.
func (r Request) check() *FrameError {
	bad := func(format string, a ...any) *FrameError {
		return frameErr("illegal_value", IllegalDataValue, format, a...)
	}
	switch r.Func {
	case ReadCoils, ReadDiscreteInputs, ReadHoldingRegisters, ReadInputRegisters:
		limit := maxReadRegs
		if isBits(r.Func) {
			limit = maxReadBits
		}
		if r.Count == 0 || int(r.Count) > limit {
			return bad("function 0x%02X: count %d outside 1-%d", r.Func, r.Count, limit)
		}
	case WriteSingleCoil:
		if r.Value != coilOn && r.Value != 0 {
			return bad("write coil: value 0x%04X is neither 0xFF00 nor 0x0000", r.Value)
		}
	case WriteSingleRegister:
	case WriteMultipleCoils:
		if r.Count == 0 || r.Count > maxWriteBits || len(r.Data) != (int(r.Count)+7)/8 {
			return bad("write coils: count %d with %d data bytes", r.Count, len(r.Data))
		}
	case WriteMultipleRegisters:
		if r.Count == 0 || r.Count > maxWriteRegs || len(r.Data) != 2*int(r.Count) {
			return bad("write registers: count %d with %d data bytes", r.Count, len(r.Data))
		}
	default:
		return frameErr("illegal_function", IllegalFunction, "function 0x%02X", r.Func)
	}
	if int(r.Addr)+int(max(r.Count, 1)) > 0x10000 {
		return frameErr("illegal_value", IllegalDataAddress, "addresses %d+%d pass 65535", r.Addr, r.Count)
	}
	return nil
}

// Encode returns the request's RTU frame, CRC included.
func (r Request) Encode() ([]byte, error) {
	if r.Unit > MaxUnit {
		return nil, fmt.Errorf("modbus: unit %d outside 0-%d", r.Unit, MaxUnit)
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	b := []byte{r.Unit, r.Func, byte(r.Addr >> 8), byte(r.Addr)}
	switch r.Func {
	case WriteSingleCoil, WriteSingleRegister:
		b = append(b, byte(r.Value>>8), byte(r.Value))
	case WriteMultipleCoils, WriteMultipleRegisters:
		b = append(b, byte(r.Count>>8), byte(r.Count), byte(len(r.Data)))
		b = append(b, r.Data...)
	default:
		b = append(b, byte(r.Count>>8), byte(r.Count))
	}
	return AppendCRC(b), nil
}

// DecodeRequest reads the request at the start of b and returns it with
// the bytes it spans. Errors are ErrIncomplete, or a *FrameError; one whose
// Exception is set came with a good CRC and should be answered with that
// exception (the returned Request then carries Unit and Func).
func DecodeRequest(b []byte) (Request, int, error) {
	if len(b) < 2 {
		return Request{}, 0, ErrIncomplete
	}
	var n int
	switch fn := b[1]; {
	case fn >= ReadCoils && fn <= WriteSingleRegister:
		n = 8
	case fn == WriteMultipleCoils || fn == WriteMultipleRegisters:
		if len(b) < 7 {
			return Request{}, 0, ErrIncomplete
		}
		n = 9 + int(b[6])
	default:
		// Unknown length: the whole run is the frame if its CRC holds.
		if len(b) < 4 || !CheckCRC(b) {
			return Request{}, 0, ErrIncomplete
		}
		return Request{Unit: b[0], Func: fn}, len(b), frameErr("illegal_function", IllegalFunction, "function 0x%02X", fn)
	}
	if len(b) < n {
		return Request{}, 0, ErrIncomplete
	}
	if !CheckCRC(b[:n]) {
		return Request{}, n, frameErr("bad_crc", 0, "request of %d bytes", n)
	}
	r := Request{Unit: b[0], Func: b[1], Addr: uint16(b[2])<<8 | uint16(b[3])}
	v := uint16(b[4])<<8 | uint16(b[5])
	switch r.Func {
	case WriteSingleCoil, WriteSingleRegister:
		r.Value = v
	case WriteMultipleCoils, WriteMultipleRegisters:
		r.Count = v
		r.Data = append([]byte(nil), b[7:n-2]...)
	default:
		r.Count = v
	}
	if err := r.check(); err != nil {
		return Request{Unit: r.Unit, Func: r.Func}, n, err
	}
	return r, n, nil
}
