package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// Request/response pairs from the published Modbus RTU examples (slave 0x11,
// simplymodbus.ca); each CRC is also checked by the independent computation.
var exchanges = []struct {
	name    string
	req     Request
	reqHex  string
	resp    Response
	respHex string
}{
	{"read coils", ReadRequest(0x11, ReadCoils, 0x13, 0x25), "11 01 00 13 00 25 0E 84",
		Response{Unit: 0x11, Func: ReadCoils, Data: []byte{0xCD, 0x6B, 0xB2, 0x0E, 0x1B}}, "11 01 05 CD 6B B2 0E 1B 45 E6"},
	{"read discrete inputs", ReadRequest(0x11, ReadDiscreteInputs, 0xC4, 0x16), "11 02 00 C4 00 16 BA A9",
		Response{Unit: 0x11, Func: ReadDiscreteInputs, Data: []byte{0xAC, 0xDB, 0x35}}, "11 02 03 AC DB 35 20 18"},
	{"read holding registers", ReadRequest(0x11, ReadHoldingRegisters, 0x6B, 3), "11 03 00 6B 00 03 76 87",
		Response{Unit: 0x11, Func: ReadHoldingRegisters, Data: []byte{0xAE, 0x41, 0x56, 0x52, 0x43, 0x40}}, "11 03 06 AE 41 56 52 43 40 49 AD"},
	{"read input register", ReadRequest(0x11, ReadInputRegisters, 8, 1), "11 04 00 08 00 01 B2 98",
		Response{Unit: 0x11, Func: ReadInputRegisters, Data: []byte{0x00, 0x0A}}, "11 04 02 00 0A F8 F4"},
	{"write single coil", WriteCoilRequest(0x11, 0xAC, true), "11 05 00 AC FF 00 4E 8B",
		Response{Unit: 0x11, Func: WriteSingleCoil, Addr: 0xAC, Value: 0xFF00}, "11 05 00 AC FF 00 4E 8B"},
	{"write single register", Request{Unit: 0x11, Func: WriteSingleRegister, Addr: 1, Value: 3}, "11 06 00 01 00 03 9A 9B",
		Response{Unit: 0x11, Func: WriteSingleRegister, Addr: 1, Value: 3}, "11 06 00 01 00 03 9A 9B"},
	{"write multiple coils", WriteCoilsRequest(0x11, 0x13, Bits([]byte{0xCD, 0x01}, 10)), "11 0F 00 13 00 0A 02 CD 01 BF 0B",
		Response{Unit: 0x11, Func: WriteMultipleCoils, Addr: 0x13, Count: 10}, "11 0F 00 13 00 0A 26 99"},
	{"write multiple registers", WriteRegistersRequest(0x11, 1, []uint16{0x000A, 0x0102}), "11 10 00 01 00 02 04 00 0A 01 02 C6 F0",
		Response{Unit: 0x11, Func: WriteMultipleRegisters, Addr: 1, Count: 2}, "11 10 00 01 00 02 12 98"},
	{"exception", ReadRequest(0x0A, ReadCoils, 0x04A1, 1), "0A 01 04 A1 00 01 AC 63",
		Response{Unit: 0x0A, Func: ReadCoils, Exception: IllegalDataAddress}, "0A 81 02 B0 53"},
}

func TestExchanges(t *testing.T) {
	for _, tc := range exchanges {
		t.Run(tc.name, func(t *testing.T) {
			for _, h := range []string{tc.reqHex, tc.respHex} {
				b := unhex(t, h)
				n := len(b) - 2
				if crcMSB(b[:n]) != uint16(b[n])|uint16(b[n+1])<<8 {
					t.Fatalf("published frame %s fails the independent CRC", h)
				}
			}
			got, err := tc.req.Encode()
			if err != nil || !bytes.Equal(got, unhex(t, tc.reqHex)) {
				t.Fatalf("request Encode = % X, %v; want %s", got, err, tc.reqHex)
			}
			req, n, err := DecodeRequest(append(got, 0xEE)) // a trailing byte is not part of it
			if err != nil || n != len(got) {
				t.Fatalf("DecodeRequest: n=%d err=%v", n, err)
			}
			if req.Data == nil {
				req.Data = tc.req.Data
			}
			if !reflect.DeepEqual(req, tc.req) {
				t.Errorf("DecodeRequest = %+v, want %+v", req, tc.req)
			}
			out, err := tc.resp.Encode()
			if err != nil || !bytes.Equal(out, unhex(t, tc.respHex)) {
				t.Fatalf("response Encode = % X, %v; want %s", out, err, tc.respHex)
			}
			resp, n, err := DecodeResponse(tc.req, out)
			if err != nil || n != len(out) {
				t.Fatalf("DecodeResponse: n=%d err=%v", n, err)
			}
			if !reflect.DeepEqual(resp, tc.resp) {
				t.Errorf("DecodeResponse = %+v, want %+v", resp, tc.resp)
			}
			for i := 1; i < len(out); i++ {
				if _, _, err := DecodeResponse(tc.req, out[:i]); !errors.Is(err, ErrIncomplete) {
					t.Errorf("first %d bytes: err %v, want ErrIncomplete", i, err)
				}
			}
		})
	}
}

func TestExceptionErr(t *testing.T) {
	r := Response{Unit: 3, Func: ReadDiscreteInputs, Exception: IllegalDataAddress}
	var ee *ExceptionError
	if err := r.Err(); !errors.As(err, &ee) || ee.Code != IllegalDataAddress || ee.Unit != 3 {
		t.Fatalf("Err() = %v", err)
	}
	if (Response{}).Err() != nil {
		t.Error("normal response has an error")
	}
}

func TestDecodeResponseRejects(t *testing.T) {
	req := ReadRequest(1, ReadDiscreteInputs, 0, 3)
	good := AppendCRC([]byte{1, 2, 1, 0x05})
	flip := append([]byte(nil), good...)
	flip[3] ^= 0x10
	for _, tc := range []struct {
		name, reason string
		in           []byte
	}{
		{"bad crc", "bad_crc", flip},
		{"other unit", "wrong_unit", AppendCRC([]byte{2, 2, 1, 0x05})},
		{"other function", "wrong_function", AppendCRC([]byte{1, 1, 1, 0x05})},
		{"byte count", "bad_length", AppendCRC([]byte{1, 2, 2, 0x05, 0})},
		{"echo", "mismatch", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, in := req, tc.in
			if in == nil {
				r = WriteCoilRequest(1, 2, true)
				in = AppendCRC([]byte{1, 5, 0, 3, 0xFF, 0})
			}
			_, n, err := DecodeResponse(r, in)
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Reason != tc.reason || n < 1 {
				t.Fatalf("got n=%d err=%v, want reason %s", n, err, tc.reason)
			}
		})
	}
	if _, _, err := DecodeResponse(req, good); err != nil {
		t.Fatalf("good frame: %v", err)
	}
}

func TestDecodeRequestExceptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		exc  byte
	}{
		{"unknown function", AppendCRC([]byte{1, 0x2B, 0x0E, 1, 0}), IllegalFunction},
		{"zero count", AppendCRC([]byte{1, 3, 0, 0, 0, 0}), IllegalDataValue},
		{"too many registers", AppendCRC([]byte{1, 3, 0, 0, 0, 126}), IllegalDataValue},
		{"bad coil value", AppendCRC([]byte{1, 5, 0, 0, 0x12, 0x34}), IllegalDataValue},
		{"past 65535", AppendCRC([]byte{1, 1, 0xFF, 0xFF, 0, 2}), IllegalDataAddress},
		{"coil bytes disagree", AppendCRC([]byte{1, 0x0F, 0, 0, 0, 10, 1, 0xFF}), IllegalDataValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, n, err := DecodeRequest(tc.in)
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Exception != tc.exc || n != len(tc.in) || r.Unit != 1 {
				t.Fatalf("got %+v n=%d err=%v, want exception %d", r, n, err, tc.exc)
			}
		})
	}
	bad := AppendCRC([]byte{1, 3, 0, 0, 0, 1})
	bad[7] ^= 1
	var fe *FrameError
	if _, _, err := DecodeRequest(bad); !errors.As(err, &fe) || fe.Reason != "bad_crc" || fe.Exception != 0 {
		t.Fatalf("bad crc: %v", err)
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, r := range []Request{
		{Unit: 248, Func: ReadCoils, Count: 1},
		{Unit: 1, Func: ReadCoils, Count: 2001},
		{Unit: 1, Func: 0x2B},
		{Unit: 1, Func: WriteMultipleRegisters, Count: 2, Data: []byte{1}},
	} {
		if _, err := r.Encode(); err == nil {
			t.Errorf("Encode(%+v) succeeded", r)
		}
	}
	if _, err := (Response{Unit: 1, Func: 0x2B}).Encode(); err == nil {
		t.Error("response with unknown function encoded")
	}
}

func TestBits(t *testing.T) {
	bits := []bool{true, false, true, true, false, false, true, true, true, false}
	packed := PackBits(bits)
	if !bytes.Equal(packed, []byte{0xCD, 0x01}) {
		t.Fatalf("PackBits = % X", packed)
	}
	if got := Bits(packed, 10); !reflect.DeepEqual(got, bits) {
		t.Fatalf("Bits = %v", got)
	}
	if got := Bits([]byte{1}, 20); len(got) != 8 {
		t.Fatalf("Bits past data gave %d bits", len(got))
	}
	if got := Registers(PackRegisters([]uint16{0xAE41, 7})); !reflect.DeepEqual(got, []uint16{0xAE41, 7}) {
		t.Fatalf("registers round trip = %v", got)
	}
}
