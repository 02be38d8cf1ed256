package wire

import (
	"errors"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes to Decode, the streaming Reader and every
// payload decoder: none may panic, Decode never consumes more than
// MaxFrameLen+1 bytes, failures are typed, and the Reader's buffer stays
// bounded.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"FF 53 65 08 00 04 60 60 90", "53 81 10 00 05 50 00 01 1A 00 22 51 27 C0 27 D2",
		"53 81 0D 00 06 53 00 03 31 32 0D 1E 50", "53 7F 0C 00 00 6E 00 80 25 00 00 0F",
		"53 01 FF 7F 05", "53 53 53 53", "FF FF 00 53 01 08 00 05 60 8B 33",
	} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, n, err := Decode(b)
		var fe *FrameError
		switch {
		case err == nil:
			if n < MinFrameLen || n > MaxFrameLen+1 || n > len(b) {
				t.Fatalf("consumed %d of %d bytes", n, len(b))
			}
			if _, err := fr.Encode(false); err != nil {
				t.Fatalf("decoded frame does not re-encode: %v", err)
			}
		case errors.Is(err, ErrIncomplete), errors.As(err, &fe):
		default:
			t.Fatalf("untyped error %v", err)
		}
		r := NewReader()
		now := time.Unix(0, 0)
		for i := 0; i < len(b); i += 7 {
			now = now.Add(time.Duration(b[i]) * 200 * time.Microsecond)
			_ = r.Push(now, b[i:min(i+7, len(b))])
			for {
				if _, _, err := r.Next(); errors.Is(err, ErrIncomplete) {
					break
				}
			}
			if r.Buffered() > MaxFrameLen+7 {
				t.Fatalf("reader holds %d bytes", r.Buffered())
			}
		}
		_, _ = DecodePDID(b)
		_, _ = DecodePDCAP(b)
		_, _ = DecodeLocalStatus(b)
		_, _ = DecodePoints(b)
		_, _ = DecodeRawCard(b)
		_, _ = DecodeKeypad(b)
		_, _ = DecodeOutputs(b)
		_, _ = DecodeLEDs(b)
		_, _ = DecodeBuzzer(b)
		_, _ = DecodeComSettings(b)
		_, _ = DecodeNak(b)
	})
}
