package rtpstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Options are the listener's collaborators. All are optional.
type Options struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Now is the clock for arrival times and judgements; it must carry a
	// monotonic reading (time.Now does). Nil is time.Now.
	Now func() time.Time
	// Video takes the camera's depacketised pictures (its recorder); nil
	// keeps only the statistics.
	Video VideoSink
}

// maxDatagram is the largest UDP payload; a smaller buffer would cut
// packets and make them look malformed.
const maxDatagram = 65536

// Listener is one camera's RTP port. New builds it, Run owns its socket
// and goroutine until ctx ends.
type Listener struct {
	cfg  Config
	sink edge.Sink
	vs   VideoSink
	log  *slog.Logger
	now  func() time.Time

	ready         chan struct{} // closed once the socket is bound
	mu            sync.Mutex
	addr          net.Addr
	mon           *monitor
	warned        bool // a malformed datagram was logged this check interval
	warnedForeign bool // a foreign source's packet was logged this check interval
}

// New checks cfg, registers the listener's metrics and returns it. It
// opens nothing.
func New(cfg Config, sink edge.Sink, opts Options) (*Listener, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("rtp listener: nil sink")
	}
	cfg = cfg.withDefaults()
	l := &Listener{cfg: cfg, sink: sink, vs: opts.Video, log: opts.Logger, now: opts.Now, ready: make(chan struct{})}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.mon = newMonitor(cfg, l.now(), l.vs)
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(newCollector(cfg.Device, l.Status)); err != nil {
			return nil, fmt.Errorf("rtp listener %s: metrics: %w", cfg.Device, err)
		}
	}
	return l, nil
}

// Ready is closed once Run has bound the socket; Addr is valid from then.
func (l *Listener) Ready() <-chan struct{} { return l.ready }

// Addr is the bound address, nil before Run binds it.
func (l *Listener) Addr() net.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.addr
}

// Status is a snapshot of the stream's statistics and health.
func (l *Listener) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.mon.status(l.cfg.Device, l.now())
	if l.addr != nil {
		st.Listen = l.addr.String()
	}
	return st
}

// Run binds the UDP socket and reads the camera's datagrams until ctx
// ends, judging the stream every Check. A port that cannot be bound (in
// use, no such address) is logged and tried again with backoff, doubling
// from 1 s to 30 s: one camera's bad port never stops the gateway. Run
// closes the socket before it returns; it returns nil once ctx ends.
func (l *Listener) Run(ctx context.Context) error {
	backoff := time.Second
	for {
		var lc net.ListenConfig
		pc, err := lc.ListenPacket(ctx, "udp", l.cfg.Listen)
		if err == nil {
			return l.serve(ctx, pc.(*net.UDPConn))
		}
		l.log.Error("rtp listen failed; retrying", "device", l.cfg.Device, "listen", l.cfg.Listen, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// serve owns conn until ctx ends.
func (l *Listener) serve(ctx context.Context, conn *net.UDPConn) error {
	defer conn.Close()
	// A larger kernel buffer rides out a busy moment of this goroutine;
	// a refusal only means the default stays.
	_ = conn.SetReadBuffer(1 << 20)
	l.mu.Lock()
	l.addr = conn.LocalAddr()
	l.mon = newMonitor(l.cfg, l.now(), l.vs) // silence counts from when we listen
	l.mu.Unlock()
	buf := make([]byte, maxDatagram)
	next := time.Now().Add(l.cfg.Check)
	if err := conn.SetReadDeadline(next); err != nil {
		return fmt.Errorf("rtp listener %s: %w", l.cfg.Device, err)
	}
	// Wake the read at once when ctx ends. Every later deadline is
	// followed by a look at ctx, so this one is never overwritten unseen.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	close(l.ready)
	l.log.Info("rtp listening", "device", l.cfg.Device, "addr", conn.LocalAddr().String())
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if ctx.Err() != nil {
			return nil
		}
		if n > 0 || err == nil {
			l.datagram(buf[:n], from)
		}
		var ne net.Error
		if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
			// Not a deadline: e.g. ICMP errors on some systems. Keep
			// listening, but do not spin.
			l.log.Warn("rtp read", "device", l.cfg.Device, "err", err)
			time.Sleep(10 * time.Millisecond)
		}
		if time.Now().Before(next) {
			continue
		}
		l.tick()
		next = time.Now().Add(l.cfg.Check)
		if err := conn.SetReadDeadline(next); err != nil && ctx.Err() == nil {
			return fmt.Errorf("rtp listener %s: %w", l.cfg.Device, err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// datagram files one datagram under the lock. A malformed one, or one
// from a foreign source, is logged at most once per check interval each
// (the counters tell the rest); a new source taking the port over is
// logged every time (at most once per sourceHold).
func (l *Listener) datagram(b []byte, from netip.AddrPort) {
	now := l.now()
	l.mu.Lock()
	filed := l.mon.datagram(b, now, from)
	var warn, foreign bool
	var ssrc, curSSRC uint32
	var cur netip.AddrPort
	switch {
	case filed >= 0:
		warn = !l.warned
		l.warned = true
	case filed == filedForeign:
		foreign = !l.warnedForeign
		l.warnedForeign = true
		ssrc, curSSRC, cur = l.mon.hdr.SSRC, l.mon.cur.ssrc, l.mon.lastFrom
	case filed == filedTakeover:
		ssrc = l.mon.hdr.SSRC
	}
	l.mu.Unlock()
	switch {
	case warn:
		l.log.Warn("rtp datagram dropped", "device", l.cfg.Device, "reason", malformedReasons[filed],
			"from", from.String(), "bytes", len(b))
	case foreign:
		l.log.Warn("rtp packet of a foreign source dropped", "device", l.cfg.Device, "from", from.String(),
			"ssrc", fmt.Sprintf("%08x", ssrc), "current_from", cur.String(), "current_ssrc", fmt.Sprintf("%08x", curSSRC))
	case filed == filedTakeover:
		l.log.Info("rtp source changed after silence", "device", l.cfg.Device, "from", from.String(),
			"ssrc", fmt.Sprintf("%08x", ssrc))
	}
}

// tick judges the stream and hands the sink its events and, when due or
// when the state changed, a telemetry sample, outside the lock.
func (l *Listener) tick() {
	now := l.now()
	l.mu.Lock()
	evs := append(l.mon.video.events(), l.mon.events(l.cfg.Device, now, l.mon.tick(now))...)
	var tel *event.Telemetry
	if l.mon.telemetryDue(now, len(evs) > 0) {
		t := l.mon.telemetry(l.cfg.Device, now)
		tel = &t
	}
	l.warned, l.warnedForeign = false, false
	l.mu.Unlock()
	for _, ev := range evs {
		l.log.Info("rtp stream", "device", ev.Device, "event", ev.Type, "data", ev.Data)
		l.sink.Event(ev)
	}
	if tel != nil {
		l.sink.Telemetry(*tel)
	}
}
