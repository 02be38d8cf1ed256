package camera

import (
	"bytes"
	"testing"
)

// FuzzParseClip: any bytes given as -clip either parse into frames that
// start on a keyframe and hold every byte of their NAL units, or are
// refused; never a panic.
func FuzzParseClip(f *testing.F) {
	f.Add(defaultClip[:4096])
	f.Add([]byte{0, 0, 1, 0x65, 0x88, 0, 0, 1, 0x41, 0x9a})
	f.Add([]byte{0, 0, 0, 1, 0x67, 0, 0, 0, 1})
	f.Add([]byte("not a video"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseClip(b)
		if err != nil {
			return
		}
		if len(c.Frames) == 0 || len(c.Key) != len(c.Frames) || !c.Key[0] {
			t.Fatalf("clip of %d frames, keys %v", len(c.Frames), c.Key)
		}
		total := 0
		for _, fr := range c.Frames {
			if !bytes.HasPrefix(fr, []byte{0, 0, 0, 1}) {
				t.Fatalf("frame without a start code: %x", fr)
			}
			total += len(fr)
			_ = withPadding(fr, 100)
		}
		if total != c.Bytes {
			t.Fatalf("Bytes %d, frames hold %d", c.Bytes, total)
		}
	})
}
