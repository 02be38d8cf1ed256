package rtpstream

import "github.com/pion/rtp"

// Why a datagram was dropped as malformed; label values of
// gridwatch_rtp_malformed_total{reason}.
const (
	MalformedShort     = "short"     // under the 12-byte fixed header
	MalformedVersion   = "version"   // not RTP version 2
	MalformedTruncated = "truncated" // CSRC list or header extension runs past the end
	MalformedPadding   = "padding"   // padding count 0 or longer than the packet
)

// Indexes of the reasons in malformedReasons.
const (
	badShort = iota
	badVersion
	badTruncated
	badPadding
	badReasons
)

// malformedReasons lists the reasons by index, for counters.
var malformedReasons = [badReasons]string{MalformedShort, MalformedVersion, MalformedTruncated, MalformedPadding}

// kind is what a datagram turned out to be.
type kind uint8

const (
	kindRTP       kind = iota
	kindRTCP           // RTCP multiplexed on the RTP port (RFC 5761): not counted as RTP
	kindMalformed      // see the reason
)

const fixedHeader = 12

// parse reads buf's RTP header into h (reusing its slices) and classifies
// the datagram; for a malformed one it also returns the reason's index,
// for an RTP one its payload (without padding).
// pion/rtp checks lengths but not the version, nor padding
// in a header-only parse, so both are checked here.
func parse(h *rtp.Header, buf []byte) (kind, int, []byte) {
	if len(buf) < fixedHeader {
		return kindMalformed, badShort, nil
	}
	if buf[0]>>6 != 2 {
		return kindMalformed, badVersion, nil
	}
	// RTCP packet types 200–207 sit where an RTP marker bit and payload
	// type 72–79 would; RFC 5761 keeps RTP off those types.
	if pt := buf[1]; pt >= 200 && pt <= 207 {
		return kindRTCP, 0, nil
	}
	n, err := h.Unmarshal(buf)
	if err != nil {
		return kindMalformed, badTruncated, nil
	}
	end := len(buf)
	if h.Padding {
		pad := int(buf[len(buf)-1])
		if pad == 0 || n+pad > len(buf) {
			return kindMalformed, badPadding, nil
		}
		end -= pad
	}
	return kindRTP, 0, buf[n:end]
}
