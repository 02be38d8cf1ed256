package wire

import "fmt"

// Response is a slave's answer. Exception, when not zero, makes it an
// exception response (Func stays the request's code, without 0x80). Reads
// carry Data (packed bits or big-endian registers); writes echo Addr and
// Value (05, 06) or Addr and Count (0F, 10).
type Response struct {
	Unit      byte
	Func      byte
	Exception byte
	Data      []byte
	Addr      uint16
	Value     uint16
	Count     uint16
}

// Err returns the response's exception as an *ExceptionError, or nil.
func (r Response) Err() error {
	if r.Exception == 0 {
		return nil
	}
	return &ExceptionError{Unit: r.Unit, Func: r.Func, Code: r.Exception}
}

// Encode returns the response's RTU frame, CRC included.
func (r Response) Encode() ([]byte, error) {
	b := []byte{r.Unit, r.Func}
	switch {
	case r.Exception != 0:
		b[1] |= 0x80
		b = append(b, r.Exception)
	case isRead(r.Func):
		if len(r.Data) > 250 {
			return nil, fmt.Errorf("modbus: read response of %d data bytes", len(r.Data))
		}
		b = append(b, byte(len(r.Data)))
		b = append(b, r.Data...)
	case r.Func == WriteSingleCoil || r.Func == WriteSingleRegister:
		b = append(b, byte(r.Addr>>8), byte(r.Addr), byte(r.Value>>8), byte(r.Value))
	case r.Func == WriteMultipleCoils || r.Func == WriteMultipleRegisters:
		b = append(b, byte(r.Addr>>8), byte(r.Addr), byte(r.Count>>8), byte(r.Count))
	default:
		return nil, fmt.Errorf("modbus: no response format for function 0x%02X", r.Func)
	}
	return AppendCRC(b), nil
}

// ReplyFor builds the normal response to req from the data a read returned
// (ignored for writes).
func ReplyFor(req Request, data []byte) Response {
	r := Response{Unit: req.Unit, Func: req.Func, Addr: req.Addr, Value: req.Value, Count: req.Count}
	if isRead(req.Func) {
		r.Data = data
	}
	return r
}

// expectedData is the byte count of a normal read response to req.
func expectedData(req Request) int {
	if isBits(req.Func) {
		return (int(req.Count) + 7) / 8
	}
	return 2 * int(req.Count)
}

// DecodeResponse reads the answer to req at the start of b and returns it
// with the bytes it spans. Errors are ErrIncomplete or a *FrameError; an
// exception response is not an error here (see Response.Err).
func DecodeResponse(req Request, b []byte) (Response, int, error) {
	if len(b) < 2 {
		return Response{}, 0, ErrIncomplete
	}
	if b[0] != req.Unit {
		return Response{}, 1, frameErr("wrong_unit", 0, "unit %d answered, asked %d", b[0], req.Unit)
	}
	var n int
	switch fn := b[1]; {
	case fn == req.Func|0x80:
		n = 5
	case fn != req.Func:
		return Response{}, 2, frameErr("wrong_function", 0, "function 0x%02X answered, asked 0x%02X", fn, req.Func)
	case isRead(fn):
		if len(b) < 3 {
			return Response{}, 0, ErrIncomplete
		}
		if want := expectedData(req); int(b[2]) != want {
			return Response{}, 3, frameErr("bad_length", 0, "%d data bytes, want %d", b[2], want)
		}
		n = 5 + int(b[2])
	default:
		n = 8
	}
	if len(b) < n {
		return Response{}, 0, ErrIncomplete
	}
	if !CheckCRC(b[:n]) {
		return Response{}, n, frameErr("bad_crc", 0, "response of %d bytes", n)
	}
	r := Response{Unit: b[0], Func: req.Func}
	switch {
	case b[1]&0x80 != 0:
		r.Exception = b[2]
		return r, n, nil
	case isRead(req.Func):
		r.Data = append([]byte(nil), b[3:n-2]...)
		return r, n, nil
	}
	r.Addr = uint16(b[2])<<8 | uint16(b[3])
	v := uint16(b[4])<<8 | uint16(b[5])
	if req.Func == WriteSingleCoil || req.Func == WriteSingleRegister {
		r.Value = v
	} else {
		r.Count = v
	}
	if r.Addr != req.Addr || r.Value != req.Value || r.Count != req.Count {
		return Response{}, n, frameErr("mismatch", 0, "echo %d/%d/%d, sent %d/%d/%d", r.Addr, r.Value, r.Count, req.Addr, req.Value, req.Count)
	}
	return r, n, nil
}
