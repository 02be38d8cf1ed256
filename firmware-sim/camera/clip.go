package camera

import (
	_ "embed"
	"errors"
	"fmt"
)

// defaultClip is the committed test clip (testdata/README.md): 4 s of
// 640×360 H.264 at 25 fps, one IDR a second with SPS/PPS before it.
//
//go:embed testdata/clip.h264
var defaultClip []byte

// ClipFPS is the frame rate the committed clip was made at.
const ClipFPS = 25

// Clip is an H.264 elementary stream cut into access units (frames).
type Clip struct {
	// Frames are Annex-B access units, each with its start codes.
	Frames [][]byte
	// Bytes is the sum of the frames' sizes.
	Bytes int
	// Keyframes counts the frames that hold an IDR slice; Key tells
	// which.
	Keyframes int
	Key       []bool
}

// DefaultClip is the committed clip, parsed.
func DefaultClip() (*Clip, error) { return ParseClip(defaultClip) }

// NAL unit types this file looks at (ITU-T H.264 Table 7-1).
const (
	nalSlice    = 1
	nalIDR      = 5
	nalSEI      = 6
	nalSPS      = 7
	nalPPS      = 8
	nalAUD      = 9
	nalPrefixLo = 14 // 14..18 start an access unit too (7.4.1.2.3)
	nalPrefixHi = 18
)

// ParseClip cuts an Annex-B H.264 stream into access units: a new one
// starts at an AUD, SPS, PPS, SEI or prefix NAL unit, or at a slice whose
// first_mb_in_slice is 0, once the current one holds a slice (H.264
// 7.4.1.2.3). It refuses a stream without start codes or without an IDR
// first frame (a receiver could not decode the loop's start).
func ParseClip(b []byte) (*Clip, error) {
	nalus := splitAnnexB(b)
	if len(nalus) == 0 {
		return nil, errors.New("camera clip: no H.264 NAL units (want an Annex-B stream with start codes)")
	}
	c := &Clip{}
	var cur []byte
	vcl, idr := false, false
	flush := func() {
		if len(cur) > 0 && vcl {
			c.Frames = append(c.Frames, cur)
			c.Key = append(c.Key, idr)
			c.Bytes += len(cur)
			if idr {
				c.Keyframes++
			}
		}
		cur, vcl, idr = nil, false, false
	}
	for _, n := range nalus {
		typ := n[0] & 0x1f
		isVCL := typ == nalSlice || typ == nalIDR
		starts := typ == nalAUD || typ == nalSPS || typ == nalPPS || typ == nalSEI || (typ >= nalPrefixLo && typ <= nalPrefixHi)
		if isVCL && len(n) > 1 && n[1]&0x80 != 0 { // first_mb_in_slice ue(v) == 0
			starts = true
		}
		if starts && vcl {
			flush()
		}
		cur = append(cur, 0, 0, 0, 1)
		cur = append(cur, n...)
		if isVCL {
			vcl = true
			idr = idr || typ == nalIDR
		}
	}
	flush()
	if len(c.Frames) == 0 {
		return nil, errors.New("camera clip: no slices")
	}
	if !c.Key[0] {
		return nil, fmt.Errorf("camera clip: the first of %d frames is not a keyframe (IDR)", len(c.Frames))
	}
	return c, nil
}

// splitAnnexB returns the NAL units of b, without their start codes.
func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(b); {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				out = appendNALU(out, b[start:i])
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 {
		out = appendNALU(out, b[start:])
	}
	return out
}

// appendNALU appends n without the zero bytes that belong to the next
// start code (a four-byte start code, or trailing_zero_8bits).
func appendNALU(out [][]byte, n []byte) [][]byte {
	for len(n) > 0 && n[len(n)-1] == 0 {
		n = n[:len(n)-1]
	}
	if len(n) == 0 {
		return out
	}
	return append(out, n)
}

// seiPadding is an SEI NAL unit of user_data_unregistered (payload type
// 5) of about size bytes, with start code: decoders skip it, so it raises
// a stream's bit rate without changing its pictures. It goes before the
// frame's first slice. Its bytes hold no 0x00, so no emulation
// prevention is needed.
func seiPadding(size int) []byte {
	const uuidLen = 16
	payload := max(size-8, uuidLen) // start code, header, type, size bytes, trailing bits
	b := make([]byte, 0, payload+payload/255+8)
	b = append(b, 0, 0, 0, 1, nalSEI, 5)
	for n := payload; ; n -= 255 {
		if n < 255 {
			b = append(b, byte(n))
			break
		}
		b = append(b, 0xff)
	}
	// The UUID of this padding: "gridsim-padding!" (no zero bytes).
	b = append(b, "gridsim-padding!"...)
	for range payload - uuidLen {
		b = append(b, 0xaa)
	}
	return append(b, 0x80) // rbsp_trailing_bits
}

// withPadding returns au with pad bytes of SEI padding put in before its
// first slice.
func withPadding(au []byte, pad int) []byte {
	if pad <= 0 {
		return au
	}
	nalus := splitAnnexB(au)
	out := make([]byte, 0, len(au)+pad+16)
	padded := false
	for _, n := range nalus {
		if t := n[0] & 0x1f; !padded && (t == nalSlice || t == nalIDR) {
			out = append(out, seiPadding(pad)...)
			padded = true
		}
		out = append(out, 0, 0, 0, 1)
		out = append(out, n...)
	}
	return out
}
