package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Default restart backoff: the first restart waits DefaultMinBackoff, each
// further one twice as long, up to DefaultMaxBackoff.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 30 * time.Second
)

// Config sets up a Supervisor. All fields are optional.
type Config struct {
	// MinBackoff is the wait before restarting a failed driver, doubling
	// with each failure in a row up to MaxBackoff (DefaultMinBackoff,
	// DefaultMaxBackoff if zero). A driver that ran at least MaxBackoff
	// before it failed starts again from MinBackoff.
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
	Registerer             prometheus.Registerer
}

// Supervisor runs drivers and starts again, after a backoff, each one
// whose Run fails (returns an error, returns before it was stopped, or
// panics): one camera's or one bus's fault never stops the others, nor
// the gateway. Each restart is logged and counted in
// gridwatch_driver_restarts_total{driver}; gridwatch_driver_up{driver} is
// 1 while a driver runs. The way mediamtx keeps its static sources.
type Supervisor struct {
	cfg      Config
	log      *slog.Logger
	restarts *prometheus.CounterVec
	up       *prometheus.GaugeVec

	mu      sync.Mutex
	drivers []named
	names   map[string]bool
	running bool
}

type named struct {
	name string
	d    Driver
}

// NewSupervisor registers the supervisor's metrics. It starts nothing.
func NewSupervisor(cfg Config) (*Supervisor, error) {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	s := &Supervisor{cfg: cfg, log: cfg.Logger, names: map[string]bool{},
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_driver_restarts_total",
			Help: "Drivers (serial buses, camera listeners) started again after they failed, by driver.",
		}, []string{"driver"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gridwatch_driver_up",
			Help: "Whether a driver runs (1) or waits to be started again after a failure (0), by driver.",
		}, []string{"driver"}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{s.restarts, s.up} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("driver supervisor: metrics: %w", err)
			}
		}
	}
	return s, nil
}

// Add puts d under supervision as name (e.g. "osdp-ttyUSB0", "rtp-cam-0001"),
// which labels its logs and metrics. Drivers are added before Run.
func (s *Supervisor) Add(name string, d Driver) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.running:
		return fmt.Errorf("driver supervisor: %s added after Run", name)
	case name == "" || d == nil:
		return fmt.Errorf("driver supervisor: driver %q without a name or a driver", name)
	case s.names[name]:
		return fmt.Errorf("driver supervisor: two drivers named %s", name)
	}
	s.names[name] = true
	s.drivers = append(s.drivers, named{name: name, d: d})
	s.restarts.WithLabelValues(name)
	s.up.WithLabelValues(name)
	return nil
}

// Run runs every driver until ctx is done, and returns nil once all of
// them returned.
func (s *Supervisor) Run(ctx context.Context) error {
	s.mu.Lock()
	s.running = true
	drivers := s.drivers
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, d := range drivers {
		wg.Go(func() { s.keep(ctx, d) })
	}
	wg.Wait()
	return nil
}

// keep runs one driver until ctx is done, restarting it after each failure.
func (s *Supervisor) keep(ctx context.Context, d named) {
	log := s.log.With("driver", d.name)
	up := s.up.WithLabelValues(d.name)
	backoff := s.cfg.MinBackoff
	for {
		start := time.Now()
		up.Set(1)
		err := runOnce(ctx, d.d)
		up.Set(0)
		if ctx.Err() != nil {
			if err != nil && !errors.Is(err, context.Canceled) {
				log.Warn("driver stopped with an error", "err", err)
			}
			return
		}
		if err == nil {
			err = errors.New("returned before it was stopped")
		}
		if time.Since(start) >= s.cfg.MaxBackoff {
			backoff = s.cfg.MinBackoff // it had been working: a new fault
		}
		log.Error("driver failed; starting it again", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		s.restarts.WithLabelValues(d.name).Inc()
		backoff = min(2*backoff, s.cfg.MaxBackoff)
	}
}

// runOnce runs d, turning a panic into an error: a driver's bug (a codec
// meeting bytes nobody foresaw) costs its own devices a restart, not the
// gateway its alarm path.
func runOnce(ctx context.Context, d Driver) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return d.Run(ctx)
}
