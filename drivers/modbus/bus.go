package modbus

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Options are the bus's collaborators. All are optional.
type Options struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Now is the clock for reply deadlines, pulses and event times; nil is
	// time.Now.
	Now func() time.Time
	// Open opens the serial port; nil is OpenSerial.
	Open Opener
}

// UnitStatus is what is known of one unit.
type UnitStatus struct {
	Device string `json:"device"`
	Unit   int    `json:"unit"`
	Online bool   `json:"online"`
	// Inputs are the discrete inputs last read, nil before the first.
	Inputs []bool `json:"inputs,omitempty"`
	// LastSeen is the time of the last valid reply, Unix ms; 0 if none.
	LastSeen int64 `json:"last_seen,omitempty"`
}

// Bus polls the units of one RS-485 line. New starts nothing; Run owns the
// port and every unit's state.
type Bus struct {
	cfg    Config
	sink   edge.Sink
	log    *slog.Logger
	now    func() time.Time
	open   Opener
	m      *metrics
	units  []*unit                 // owned by Run's goroutine
	health serialline.Health       // owned by Run's goroutine
	life   serialline.Life         // owned by Run's goroutine
	cmds   chan serialline.Request // Command → Run

	mu     sync.Mutex
	status []UnitStatus
}

// New validates cfg and builds a bus that reports to sink: its events, and
// the units that answer their polls as alive.
func New(cfg Config, sink edge.Sink, opt Options) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("modbus: no event sink")
	}
	cfg = cfg.withDefaults()
	b := &Bus{cfg: cfg, sink: sink, log: opt.Logger, now: opt.Now, open: opt.Open, cmds: make(chan serialline.Request)}
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
	m, err := newMetrics(opt.Registerer, cfg.Name)
	if err != nil {
		return nil, err
	}
	b.m = m
	profiles := cfg.profiles()
	for _, uc := range cfg.Units {
		b.units = append(b.units, &unit{cfg: uc, id: byte(uc.Unit), profile: profiles[uc.Profile], pulses: map[int]time.Time{}})
	}
	devs := make([]string, len(b.units))
	for i, u := range b.units {
		devs[i] = u.cfg.Device
	}
	b.health = serialline.NewHealth(cfg.Line, "modbus", devs, m.Up, b.now, b.log,
		func(_, typ string, data map[string]any) { b.emit(b.units[0], typ, data) })
	b.life = serialline.Life{Sink: sink}
	b.status = make([]UnitStatus, len(b.units))
	b.publish()
	return b, nil
}

// Run opens the port and polls until ctx is cancelled; it returns nil then.
// A port that fails (adapter unplugged) is closed, reported once as a
// bus.fault, every unit reported offline, and the port reopened with
// backoff; a bus.restored follows the first full cycle after the reopen.
func (b *Bus) Run(ctx context.Context) error {
	backoff := b.cfg.ReopenBackoff
	for ctx.Err() == nil {
		port, err := b.open(b.cfg.Port, b.cfg.Mode())
		if err == nil {
			if err = port.SetReadTimeout(readSlice); err == nil {
				backoff = b.cfg.ReopenBackoff
				err = b.serve(ctx, newLine(port))
			}
			port.Close()
		}
		if ctx.Err() != nil {
			return nil
		}
		b.log.Error("modbus: serial port failed; reopening", "port", b.cfg.Port, "err", err, "in", backoff)
		b.health.Failed(err)
		for _, u := range b.units {
			b.offline(u, "port failed")
		}
		b.publish()
		if !b.idle(ctx, nil, backoff) {
			return nil
		}
		backoff = min(backoff*2, serialline.MaxReopenBackoff)
	}
	return nil
}

// serve polls over an open port until ctx is done (nil) or the port fails.
func (b *Bus) serve(ctx context.Context, ln *line) error {
	for {
		start := b.now()
		if err := b.clearPulses(ctx, ln); err != nil {
			return err
		}
		for _, u := range b.units {
			if ctx.Err() != nil {
				return nil
			}
			if err := b.poll(ctx, ln, u); err != nil {
				return err
			}
		}
		b.publish()
		b.health.Works() // a whole cycle ran over the port
		b.reportLife()
		if !b.idle(ctx, ln, b.cfg.PollInterval-b.now().Sub(start)) {
			return nil
		}
		if ln != nil && ln.err != nil {
			return ln.err
		}
	}
}

// idle waits d, running commands that arrive meanwhile (refused when ln is
// nil: no port). It reports whether d passed before ctx was done.
func (b *Bus) idle(ctx context.Context, ln *line, d time.Duration) bool {
	return serialline.Idle(ctx, d, b.cmds, func(c event.Command) error { return b.execute(ctx, ln, c) })
}

// reportLife tells the sink, every few seconds, which units answer their
// polls: a module whose inputs never change is not silent while it answers.
func (b *Bus) reportLife() {
	if !b.life.Due(b.now()) {
		return
	}
	for _, u := range b.units {
		if u.online && !u.lastSeen.IsZero() {
			b.sink.Alive(u.cfg.Device, u.lastSeen)
		}
	}
}

func (b *Bus) emit(u *unit, typ string, data map[string]any) {
	ms := b.now().UnixMilli()
	b.m.Events.WithLabelValues(typ).Inc()
	b.sink.Event(event.Event{Device: u.cfg.Device, Type: typ, TS: ms, Received: ms, Source: event.SourceModbus, Data: data})
}

// publish copies the units' state for Status.
func (b *Bus) publish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, u := range b.units {
		b.status[i] = u.snapshot()
	}
}

// Status returns what is known of every unit, in configuration order.
func (b *Bus) Status() []UnitStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]UnitStatus(nil), b.status...)
}
