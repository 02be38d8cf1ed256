package wire

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to both decoders: neither may panic,
// consume more than it was given or more than MaxADU bytes, and every error
// is ErrIncomplete or a *FrameError. What decodes re-encodes to the same
// bytes.
func FuzzDecode(f *testing.F) {
	for _, tc := range exchanges {
		f.Add(byte(tc.req.Func), unhex(f, tc.reqHex))
		f.Add(byte(tc.req.Func), unhex(f, tc.respHex))
	}
	f.Add(byte(0x0F), []byte{1, 0x0F, 0, 0, 0, 10, 0xFF})
	f.Fuzz(func(t *testing.T, fn byte, b []byte) {
		typed := func(err error) bool {
			var fe *FrameError
			return err == nil || errors.Is(err, ErrIncomplete) || errors.As(err, &fe)
		}
		req, n, err := DecodeRequest(b)
		if !typed(err) || n > len(b) || n > MaxADU {
			t.Fatalf("DecodeRequest: n=%d of %d, err %v", n, len(b), err)
		}
		if err == nil {
			out, eerr := req.Encode()
			if eerr != nil || !bytes.Equal(out, b[:n]) {
				t.Fatalf("request % X re-encodes to % X, %v", b[:n], out, eerr)
			}
		}
		asked := Request{Unit: 1, Func: fn, Count: uint16(fn) * 3}
		if len(b) > 0 {
			asked.Unit = b[0]
		}
		resp, n, err := DecodeResponse(asked, b)
		if !typed(err) || n > len(b) || n > MaxADU {
			t.Fatalf("DecodeResponse: n=%d of %d, err %v", n, len(b), err)
		}
		if err == nil {
			out, eerr := resp.Encode()
			if eerr != nil || !bytes.Equal(out, b[:n]) {
				t.Fatalf("response % X re-encodes to % X, %v", b[:n], out, eerr)
			}
		}
	})
}
