package h264

// NAL unit types of ITU-T H.264 Table 7-1 that the depacketizer treats
// specially, and the RTP payload structures of RFC 6184 §5.4.
const (
	NALSlice  = 1
	NALIDR    = 5
	NALSEI    = 6
	NALSPS    = 7
	NALPPS    = 8
	NALAUD    = 9
	NALFiller = 12

	nalSTAPA = 24
	nalFUA   = 28

	typeMask     = 0x1f
	forbiddenBit = 0x80
	fuStart      = 0x80
	fuEnd        = 0x40
)

// startCode precedes every NAL unit of an access unit (Annex B).
var startCode = [4]byte{0, 0, 0, 1}

// isVCL says whether t is a coded slice (the picture itself).
func isVCL(t byte) bool { return t >= NALSlice && t <= NALIDR }

// Codec names as the recorder, Status and metrics report them.
const (
	CodecUnknown = ""
	CodecH264    = "h264"
	CodecH265    = "h265"
)

// sniffVotes is how many telling packets decide a stream's codec.
const sniffVotes = 8

// sniffer tells H.264 from H.265 by the first two payload bytes of
// packets. The two NAL headers overlap: an H.265 header is
// F|type(6)|layer(6)|tid(3), an H.264 one F|nri(2)|type(5). Most H.265
// packets (fragmentation units 49, trailing pictures 0–2, parameter sets
// 32–34, aggregation 48) read as H.264 types 0–4 or 14, which no camera
// sends; most H.264 packets (FU-A 28, STAP-A 24, IDR 5 with nri 3, SPS,
// PPS) read as reserved or unspecified H.265 types. A packet that is
// plausible as both says nothing.
type sniffer struct {
	h264, h265 int
}

// h264Plausible are the H.264/RFC 6184 types a camera sends.
func h264Plausible(b0 byte) bool {
	switch b0 & typeMask {
	case NALSlice, NALIDR, NALSEI, NALSPS, NALPPS, NALAUD, 10, 11, NALFiller, nalSTAPA, nalFUA:
		return true
	}
	return false
}

// h265Plausible reads b0 b1 as an H.265 NAL unit header of the base
// layer (layer 0, temporal id ≥ 1) with a type a camera sends (RFC 7798
// aggregation 48 and fragmentation 49 included).
func h265Plausible(b0, b1 byte) bool {
	layer := (b0&1)<<5 | b1>>3
	if layer != 0 || b1&7 == 0 {
		return false
	}
	t := (b0 >> 1) & 0x3f
	return t <= 9 || (t >= 16 && t <= 21) || (t >= 32 && t <= 40) || t == 48 || t == 49
}

// vote files one payload; it returns the codec once decided.
func (s *sniffer) vote(p []byte) string {
	if len(p) >= 2 && p[0]&forbiddenBit == 0 {
		a, b := h264Plausible(p[0]), h265Plausible(p[0], p[1])
		switch {
		case a && !b:
			s.h264++
		case b && !a:
			s.h265++
		}
	}
	switch {
	case s.h265 >= sniffVotes && s.h265 > 2*s.h264:
		return CodecH265
	case s.h264 >= sniffVotes && s.h264 > 2*s.h265:
		return CodecH264
	}
	return CodecUnknown
}
