package videorec

import (
	"bytes"
	"errors"

	"github.com/gridwatch/gridwatch/drivers/h264"
)

// errNewParams: a keyframe carries other parameter sets than the clip's
// first (the camera restarted with other settings). One MP4 track holds
// one set; the clip ends before it rather than mis-record what follows.
var errNewParams = errors.New("the camera changed its stream settings (SPS/PPS)")

// paramSets returns the SPS and PPS NAL units of an Annex B access unit
// (views into au; nil if absent). Emulation prevention keeps start codes
// out of NAL units, so splitting at 00 00 01 is exact.
func paramSets(au []byte) (sps, pps []byte) {
	for len(au) > 0 {
		i := bytes.Index(au, []byte{0, 0, 1})
		if i < 0 {
			return sps, pps
		}
		au = au[i+3:]
		end := bytes.Index(au, []byte{0, 0, 1})
		n := au
		if end >= 0 {
			n = bytes.TrimRight(au[:end], "\x00") // the next 4-byte start code's zero
		}
		if len(n) > 0 {
			switch n[0] & 0x1f {
			case h264.NALSPS:
				sps = n
			case h264.NALPPS:
				pps = n
			}
		}
	}
	return sps, pps
}
