package osdp

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Options are the bus's collaborators. All are optional.
type Options struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Now is the clock for timeouts, gaps and event times; nil is time.Now.
	Now func() time.Time
	// Open opens the serial port; nil is OpenSerial.
	Open Opener
	// Rand supplies secure channel challenges; nil is crypto/rand.
	Rand io.Reader
	// Decider makes access decisions at the PDs that have a Door; nil
	// leaves them to each Door's own card list.
	Decider Decider
}

// Bus polls the PDs of one RS-485 line. New starts nothing; Run owns the
// port and every PD's state.
type Bus struct {
	cfg     Config
	sink    edge.Sink
	log     *slog.Logger
	now     func() time.Time
	open    Opener
	rand    io.Reader
	decider Decider
	m       *serialline.Metrics
	pds     []*pd                   // owned by Run's goroutine
	health  serialline.Health       // owned by Run's goroutine
	life    serialline.Life         // owned by Run's goroutine
	cmds    chan serialline.Request // Command → Run

	mu        sync.Mutex
	status    []PDStatus
	lastCycle time.Duration
}

// New validates cfg and builds a bus that reports to sink: its events, and
// the PDs that answer their polls as alive.
func New(cfg Config, sink edge.Sink, opt Options) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("osdp: no event sink")
	}
	cfg = cfg.withDefaults()
	b := &Bus{cfg: cfg, sink: sink, log: opt.Logger, now: opt.Now, open: opt.Open, rand: opt.Rand, decider: opt.Decider,
		cmds: make(chan serialline.Request)}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	b.log = b.log.With("bus", cfg.Name)
	if b.now == nil {
		b.now = time.Now
	}
	if b.open == nil {
		b.open = OpenSerial
	}
	if b.rand == nil {
		b.rand = rand.Reader
	}
	m, err := serialline.NewMetrics(opt.Registerer, "osdp", cfg.Name, metricOpts)
	if err != nil {
		return nil, err
	}
	b.m = m
	for _, pc := range cfg.PDs {
		f, _ := wiegand.ParseFormat(pc.Format) // checked by Validate; "" stays ""
		key, keyNo, _ := parseKey(pc.Key)      // checked by Validate
		p := &pd{cfg: pc, addr: byte(pc.Address), format: f, key: key, keyNo: keyNo}
		if pc.Door != nil {
			p.door = newDoorMonitor(pc.Door)
		}
		b.pds = append(b.pds, p)
	}
	devs := make([]string, len(b.pds))
	for i, p := range b.pds {
		devs[i] = p.cfg.Device
	}
	b.health = serialline.NewHealth(cfg.Line, "osdp", devs, m.Up, b.now, b.log,
		func(_, typ string, data map[string]any) { b.emit(b.pds[0], typ, data) })
	b.life = serialline.Life{Sink: sink}
	b.status = make([]PDStatus, len(b.pds))
	for i, p := range b.pds {
		b.status[i] = p.snapshot()
	}
	return b, nil
}

// Run opens the port and polls until ctx is cancelled; it returns nil then.
// A port that fails (adapter unplugged) is closed, reported once as a
// bus.fault, every online PD reported offline, and the port reopened with
// backoff; a bus.restored follows the first full cycle after the reopen.
func (b *Bus) Run(ctx context.Context) error {
	backoff := b.cfg.ReopenBackoff
	for ctx.Err() == nil {
		port, err := b.open(b.cfg.Port, b.cfg.Mode())
		if err == nil {
			if err = port.SetReadTimeout(readSlice); err == nil {
				backoff = b.cfg.ReopenBackoff
				err = b.serve(ctx, port)
			}
			port.Close()
		}
		if ctx.Err() != nil {
			return nil
		}
		b.log.Error("osdp: serial port failed; reopening", "port", b.cfg.Port, "err", err, "in", backoff)
		b.health.Failed(err)
		for _, p := range b.pds {
			b.offline(p, "port failed")
		}
		b.publish()
		if !b.idle(ctx, backoff, false) {
			return nil
		}
		backoff = min(backoff*2, serialline.MaxReopenBackoff)
	}
	return nil
}

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// serve polls over an open port until ctx is done (nil) or the port fails.
func (b *Bus) serve(ctx context.Context, port Port) error {
	ln := &line{port: port, r: wire.NewReader(), buf: make([]byte, 512)}
	for cycles := 0; ; cycles++ {
		if cycles == 1 {
			b.health.Works() // a whole cycle ran over the port
		}
		start := b.now()
		for i, p := range b.pds {
			if ctx.Err() != nil {
				return nil
			}
			err := b.service(ctx, ln, p)
			b.mu.Lock()
			b.status[i] = p.snapshot()
			b.mu.Unlock()
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		took := b.now().Sub(start)
		b.mu.Lock()
		b.lastCycle = took
		b.mu.Unlock()
		b.reportLife()
		if !b.idle(ctx, b.cfg.PollInterval-took, true) {
			return nil
		}
	}
}

// offline marks p offline (once) and reports it.
func (b *Bus) offline(p *pd, why string) {
	p.nextProbe = b.now().Add(b.cfg.Reprobe)
	if p.state == stateOffline {
		return
	}
	p.state, p.sess, p.pending = stateOffline, nil, nil
	p.nextProbe = b.now().Add(b.cfg.Reprobe)
	b.log.Warn("osdp: PD offline", "device", p.cfg.Device, "address", p.addr, "why", why)
	b.emit(p, event.DeviceOffline, map[string]any{"reason": why})
}

// reportLife tells the sink, every few seconds, which PDs answer their
// polls: a reader nobody swipes a card at is not silent while it answers.
func (b *Bus) reportLife() {
	if !b.life.Due(b.now()) {
		return
	}
	for _, p := range b.pds {
		if p.state == stateOnline && !p.lastReply.IsZero() {
			b.sink.Alive(p.cfg.Device, p.lastReply)
		}
	}
}

func (b *Bus) emit(p *pd, typ string, data map[string]any) {
	ms := b.now().UnixMilli()
	b.m.Events.WithLabelValues(typ).Inc()
	b.sink.Event(event.Event{Device: p.cfg.Device, Type: typ, TS: ms, Received: ms, Source: event.SourceOSDP, Data: data})
}

// publish copies the PDs' state for Status.
func (b *Bus) publish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, p := range b.pds {
		b.status[i] = p.snapshot()
	}
}

// Status returns what is known of every PD, in configuration order.
func (b *Bus) Status() []PDStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]PDStatus(nil), b.status...)
}

// LastCycle is how long the last full polling cycle took.
func (b *Bus) LastCycle() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastCycle
}
