package rtpstream

import (
	"net/netip"
	"time"

	"github.com/pion/rtp"

	"github.com/gridwatch/gridwatch/gateway/event"
)

const (
	typeDegraded  = event.StreamDegraded
	typeVideoLoss = event.VideoLoss
	typeRestored  = event.StreamRestored
)

// counts are cumulative counters of a camera over all its SSRCs.
type counts struct {
	expected, received, duplicates, reordered, jumps, bytes, frames int64
}

func (c counts) add(o counts) counts {
	return counts{c.expected + o.expected, c.received + o.received, c.duplicates + o.duplicates,
		c.reordered + o.reordered, c.jumps + o.jumps, c.bytes + o.bytes, c.frames + o.frames}
}

// snap is the cumulative counts at one check, for windowed rates.
type snap struct {
	at time.Time
	c  counts
}

// monitor is one camera's statistics and judgement, without a socket:
// datagram files a packet, tick judges the window. Times are inputs. Not
// safe for concurrent use; the Listener guards it.
type monitor struct {
	cfg   Config
	hdr   rtp.Header
	video *video
	cur   *stream   // nil before the first packet
	since time.Time // first packet of cur
	prior counts    // of SSRCs before cur

	malformed   [badReasons]int64
	rtcp        int64
	foreign     int64 // packets of another source while the current one streams
	ssrcChanges int64
	lastFrom    netip.AddrPort
	lastPacket  time.Time
	started     time.Time

	snaps   []snap
	win     window
	judge   judge
	lastTel time.Time
	lostMax int64 // highest loss reported, so the lost counter never goes back
}

func newMonitor(cfg Config, start time.Time, vs VideoSink) *monitor {
	return &monitor{cfg: cfg, started: start, lastTel: start, judge: newJudge(cfg.Thresholds), video: newVideo(cfg, vs)}
}

// sourceHold is how long the camera's current source (its address and
// SSRC) must have been silent before another may take the port over. A
// camera that reboots or reconnects is silent longer than this; a sender
// that injects packets while the camera streams is never let in.
const sourceHold = 2 * time.Second

// What datagram did with a datagram that was not malformed.
const (
	filedPacket   = -1 // taken into the current stream
	filedForeign  = -2 // dropped: another source while the current one streams
	filedTakeover = -3 // taken, from a new source after the old one fell silent
)

// datagram files one UDP payload that arrived at now from from. It
// returns the malformed reason's index, or one of the filed values.
func (m *monitor) datagram(buf []byte, now time.Time, from netip.AddrPort) int {
	k, bad, payload := parse(&m.hdr, buf)
	switch k {
	case kindMalformed:
		m.malformed[bad]++
		return bad
	case kindRTCP:
		m.rtcp++
		return filedPacket
	}
	filed := filedPacket
	if m.cur != nil && (m.cur.ssrc != m.hdr.SSRC || m.lastFrom != from) {
		if now.Sub(m.lastPacket) < sourceHold {
			m.foreign++
			return filedForeign
		}
		filed = filedTakeover
	}
	if m.cur == nil || m.cur.ssrc != m.hdr.SSRC {
		if m.cur != nil {
			// A new source: the camera rebooted (or another sender took
			// the port once it fell silent). Its numbering starts afresh.
			m.prior = m.prior.add(m.cur.counts())
			m.ssrcChanges++
		}
		m.cur, m.since = newStream(m.hdr.SSRC, m.cfg.ClockRate), now
	}
	if out := m.cur.packet(&m.hdr, len(buf), now); out == inOrder || out == late || out == restarted {
		m.video.packet(m.cfg.Device, &m.hdr, payload, out == restarted, now)
	}
	m.lastFrom, m.lastPacket = from, now
	return filed
}

func (s *stream) counts() counts {
	return counts{s.expected(), s.received, s.duplicates, s.reordered, s.jumps, s.bytes, s.frames()}
}

// total is the cumulative counts now.
func (m *monitor) total() counts {
	if m.cur == nil {
		return m.prior
	}
	return m.prior.add(m.cur.counts())
}

// lost is the cumulative loss, never lower than reported before.
func (m *monitor) lost() int64 {
	c := m.total()
	if l := c.expected - c.received; l > m.lostMax {
		m.lostMax = l
	}
	return m.lostMax
}

// tick measures the last window at now and judges it.
func (m *monitor) tick(now time.Time) []verdict {
	c := m.total()
	m.snaps = append(m.snaps, snap{at: now, c: c})
	cut := 0
	for cut < len(m.snaps)-1 && now.Sub(m.snaps[cut].at) > m.cfg.Thresholds.Window {
		cut++
	}
	m.snaps = append(m.snaps[:0], m.snaps[cut:]...)
	old := m.snaps[0]

	w := window{heard: m.cur != nil}
	if w.heard {
		w.silent = now.Sub(m.lastPacket)
		w.jitter = m.cur.jitterDuration()
	} else {
		w.silent = now.Sub(m.started)
	}
	w.expected = c.expected - old.c.expected
	if lost := w.expected - (c.received - old.c.received); w.expected > 0 && lost > 0 {
		w.lossPct = 100 * float64(lost) / float64(w.expected)
	}
	w.lossJudged = w.expected >= int64(m.cfg.Thresholds.MinPackets) && w.expected > 0
	if el := now.Sub(old.at).Seconds(); el > 0 {
		w.bitrate = float64(c.bytes-old.c.bytes) * 8 / el
		w.fps = float64(c.frames-old.c.frames) / el
	}
	// A window that reaches back before the stream began would understate
	// its frame rate.
	w.fpsJudged = w.heard && !old.at.Before(m.since) && now.Sub(old.at) >= m.cfg.Thresholds.Window-m.cfg.Check
	if w.silent >= m.cfg.Thresholds.Silence {
		w.jitter = 0 // nothing flows; the last jitter says nothing now
	}
	m.win = w
	return m.judge.step(now, w)
}

// telemetryDue says whether a telemetry sample is due at now — the
// interval has passed, or the stream's state changed (so that what the
// device list shows follows the events at once) — and if so starts the
// next interval.
func (m *monitor) telemetryDue(now time.Time, changed bool) bool {
	if !changed && now.Sub(m.lastTel) < m.cfg.TelemetryEvery {
		return false
	}
	m.lastTel = now
	return true
}
