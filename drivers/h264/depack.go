package h264

import (
	"time"

	"github.com/pion/rtp"
)

// Why a packet was rejected; label values of the rejects counters.
const (
	RejectEmpty    = "empty"    // no payload
	RejectNALType  = "nal_type" // forbidden bit, or a type RFC 6184 camera streams do not use (STAP-B, MTAP, FU-B, 0, 30, 31)
	RejectSTAPA    = "stap_a"   // an aggregation unit's sizes run past the packet, or a unit is empty
	RejectFUA      = "fu_a"     // a fragment too short, or a continuation with no start
	RejectOversize = "oversize" // the access unit grew past Config.MaxAccessUnit
)

// Indexes of the reasons in RejectReasons.
const (
	rejEmpty = iota
	rejNALType
	rejSTAPA
	rejFUA
	rejOversize
	NumRejects
)

// RejectReasons lists the reject reasons by index, as Stats.Rejects counts them.
var RejectReasons = [NumRejects]string{RejectEmpty, RejectNALType, RejectSTAPA, RejectFUA, RejectOversize}

// Config is one camera's depacketizer.
type Config struct {
	// ClockRate is the RTP clock in Hz; 90000 if zero.
	ClockRate int
	// MaxAccessUnit bounds one access unit in bytes; 4 MiB if zero.
	MaxAccessUnit int
	// Codec is the codec the camera is known to send ("h264", "h265"), or
	// empty to tell from the packets.
	Codec string
}

// AccessUnit is one coded picture.
type AccessUnit struct {
	// Data is the picture's NAL units in Annex B form. It is only valid
	// during the call it is handed to; keep a copy.
	Data []byte
	// TS is the RTP timestamp (the presentation time), SSRC the source.
	TS, SSRC uint32
	// Key says the picture is an IDR with the SPS and PPS in front (from
	// the stream's latest ones if the camera sent them earlier): a
	// decoder can start here.
	Key bool
}

// Stats are the depacketizer's counters.
type Stats struct {
	// Codec of the current source: "h264", "h265", or empty while unknown.
	Codec string
	// Units are access units handed on, Keyframes those of them with Key.
	Units, Keyframes int64
	// Dropped are access units not handed on: a packet of theirs was
	// lost or rejected, they held no slice, or the source changed before
	// they ended.
	Dropped int64
	// NoParams counts IDR pictures that could not be made keyframes: no
	// SPS or PPS was seen yet.
	NoParams int64
	// Rejects counts malformed packets by reason (RejectReasons).
	Rejects [NumRejects]int64
	// KeyInterval is the time between the last two keyframes by RTP
	// timestamps (0 until two were seen).
	KeyInterval time.Duration
	// HaveSPS and HavePPS say whether parameter sets were seen.
	HaveSPS, HavePPS bool
}

// Depacketizer assembles access units from the RTP packets of one camera,
// in arrival order; the caller drops duplicates and late packets (a late
// packet counts as a loss here). It hands every complete access unit to
// emit. New allocates; Packet reuses its buffers.
type Depacketizer struct {
	cfg  Config
	emit func(AccessUnit)

	ssrcKnown bool
	ssrc      uint32
	sniff     sniffer
	codec     string

	seqKnown bool
	nextSeq  uint16

	// the access unit being assembled
	have, damaged, vcl, idr, auSPS, auPPS, inFU bool
	ts                                          uint32
	fuAt                                        int // where the open FU-A's NAL unit starts in buf
	buf, key                                    []byte

	sps, pps []byte

	lastKeyOK bool
	lastKeyTS uint32
	stats     Stats
}

// New returns a depacketizer that hands complete access units to emit.
func New(cfg Config, emit func(AccessUnit)) *Depacketizer {
	if cfg.ClockRate <= 0 {
		cfg.ClockRate = 90000
	}
	if cfg.MaxAccessUnit <= 0 {
		cfg.MaxAccessUnit = 4 << 20
	}
	return &Depacketizer{cfg: cfg, emit: emit, codec: cfg.Codec}
}

// Stats returns the counters.
func (d *Depacketizer) Stats() Stats {
	s := d.stats
	s.Codec, s.HaveSPS, s.HavePPS = d.codec, len(d.sps) > 0, len(d.pps) > 0
	return s
}

// Codec is the current source's codec, empty while unknown.
func (d *Depacketizer) Codec() string { return d.codec }

// Packet files one RTP packet: h is its parsed header, payload its payload
// (without padding). A packet of an H.265 stream is not depacketised.
func (d *Depacketizer) Packet(h *rtp.Header, payload []byte) {
	if !d.ssrcKnown || h.SSRC != d.ssrc {
		d.newSource(h.SSRC)
	}
	if d.codec == CodecUnknown {
		d.codec = d.sniff.vote(payload)
	}
	if d.codec == CodecH265 {
		return
	}
	missing := h.SequenceNumber - d.nextSeq
	gap := d.seqKnown && missing != 0
	d.seqKnown, d.nextSeq = true, h.SequenceNumber+1
	if d.have && h.Timestamp != d.ts {
		// The unit before ended without its marker packet, or the
		// sender sets none. If just one packet is missing, it was that
		// unit's last: the new one is whole so far.
		d.damaged = d.damaged || gap
		d.finish()
		gap = gap && missing != 1
	}
	if !d.have {
		d.have, d.ts, d.damaged = true, h.Timestamp, gap
	} else if gap {
		d.damaged, d.inFU = true, false
	}
	d.payload(payload)
	if h.Marker {
		d.finish()
	}
}

// newSource starts over for a new SSRC (a camera that restarted): what
// was being assembled is dropped, parameter sets and the codec are
// learnt again.
func (d *Depacketizer) newSource(ssrc uint32) {
	if d.have {
		d.stats.Dropped++
		d.clear()
	}
	d.ssrcKnown, d.ssrc, d.seqKnown, d.lastKeyOK = true, ssrc, false, false
	d.sps, d.pps = d.sps[:0], d.pps[:0]
	d.sniff, d.codec = sniffer{}, d.cfg.Codec
}

// clear forgets the access unit being assembled, keeping its buffer.
func (d *Depacketizer) clear() {
	d.have, d.damaged, d.vcl, d.idr, d.auSPS, d.auPPS, d.inFU = false, false, false, false, false, false, false
	d.buf = d.buf[:0]
}

func (d *Depacketizer) reject(i int) {
	d.stats.Rejects[i]++
	d.damaged, d.inFU = true, false
}

// payload files one packet's payload into the access unit.
func (d *Depacketizer) payload(p []byte) {
	if len(p) == 0 {
		d.reject(rejEmpty)
		return
	}
	if p[0]&forbiddenBit != 0 {
		d.reject(rejNALType)
		return
	}
	switch t := p[0] & typeMask; {
	case t >= 1 && t <= 23:
		d.nal(p)
	case t == nalSTAPA:
		d.stapA(p)
	case t == nalFUA:
		d.fuA(p)
	default:
		d.reject(rejNALType)
	}
}

// room says whether n more bytes fit the access unit, rejecting it if not.
func (d *Depacketizer) room(n int) bool {
	if len(d.buf)+n > d.cfg.MaxAccessUnit {
		d.reject(rejOversize)
		return false
	}
	return true
}

// nal appends one whole NAL unit.
func (d *Depacketizer) nal(n []byte) {
	if d.inFU {
		d.damaged, d.inFU = true, false // the open fragment never ended
	}
	if !d.room(len(startCode) + len(n)) {
		return
	}
	d.buf = append(append(d.buf, startCode[:]...), n...)
	d.note(n)
}

// stapA checks every size of an aggregation packet before it appends
// any of its units.
func (d *Depacketizer) stapA(p []byte) {
	for off := 1; off < len(p); {
		if off+2 > len(p) {
			d.reject(rejSTAPA)
			return
		}
		size := int(p[off])<<8 | int(p[off+1])
		off += 2
		if size == 0 || off+size > len(p) || p[off]&forbiddenBit != 0 {
			d.reject(rejSTAPA)
			return
		}
		if t := p[off] & typeMask; t == 0 || t > 23 {
			d.reject(rejSTAPA)
			return
		}
		off += size
	}
	for off := 1; off < len(p); {
		size := int(p[off])<<8 | int(p[off+1])
		d.nal(p[off+2 : off+2+size])
		off += 2 + size
	}
}

// fuA appends one fragment of a NAL unit; the last one completes it.
func (d *Depacketizer) fuA(p []byte) {
	if len(p) < 3 {
		d.reject(rejFUA)
		return
	}
	hdr := p[1]
	t := hdr & typeMask
	if t == 0 || t > 23 {
		d.reject(rejNALType)
		return
	}
	if hdr&fuStart != 0 {
		if d.inFU {
			d.damaged = true
		}
		if !d.room(len(startCode) + len(p) - 1) {
			return
		}
		d.buf = append(d.buf, startCode[:]...)
		d.fuAt = len(d.buf)
		d.buf = append(append(d.buf, p[0]&0xe0|t), p[2:]...)
		d.inFU = true
	} else {
		if !d.inFU {
			if !d.damaged { // after a loss a headless fragment is expected
				d.reject(rejFUA)
			}
			d.damaged = true
			return
		}
		if !d.room(len(p) - 2) {
			return
		}
		d.buf = append(d.buf, p[2:]...)
	}
	if hdr&fuEnd != 0 {
		d.inFU = false
		d.note(d.buf[d.fuAt:])
	}
}

// note records what a complete NAL unit n means to the access unit.
func (d *Depacketizer) note(n []byte) {
	switch t := n[0] & typeMask; {
	case isVCL(t):
		d.vcl = true
		d.idr = d.idr || t == NALIDR
	case t == NALSPS:
		d.sps, d.auSPS = append(d.sps[:0], n...), true
	case t == NALPPS:
		d.pps, d.auPPS = append(d.pps[:0], n...), true
	}
}

// finish hands on the access unit if it is whole, and starts afresh.
func (d *Depacketizer) finish() {
	defer d.clear()
	if d.damaged || d.inFU || !d.vcl {
		d.stats.Dropped++
		return
	}
	data, key := d.buf, d.idr
	if key && !(d.auSPS && d.auPPS) {
		if len(d.sps) == 0 || len(d.pps) == 0 {
			key = false
			d.stats.NoParams++
		} else {
			d.key = append(append(append(append(d.key[:0], startCode[:]...), d.sps...), startCode[:]...), d.pps...)
			data = append(d.key, d.buf...)
			d.key = data
		}
	}
	if key {
		d.stats.Keyframes++
		if d.lastKeyOK {
			if dt := int32(d.ts - d.lastKeyTS); dt > 0 {
				d.stats.KeyInterval = time.Duration(int64(dt) * int64(time.Second) / int64(d.cfg.ClockRate))
			}
		}
		d.lastKeyOK, d.lastKeyTS = true, d.ts
	}
	d.stats.Units++
	d.emit(AccessUnit{Data: data, TS: d.ts, SSRC: d.ssrc, Key: key})
}
