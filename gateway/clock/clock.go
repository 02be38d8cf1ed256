// Package clock is the gateway's one source of time: a wall-clock reading
// taken once at start, carried forward by the monotonic clock. While the
// process lives, a step of the system's wall clock (an operator's `date -s`,
// an NTP step, a GPS receiver coming up) moves nothing: escalation
// deadlines, device supervision and the stamps on new records all keep
// the gateway's own time, so a clock stepped back an hour does not delay
// the police page by an hour, and a clock stepped forward does not fire
// every step and declare every device offline at once.
//
// A step is noticed (Run compares the wall clock with the gateway's time
// every second), logged once, and shown as gridwatch_clock_offset_seconds;
// the gateway takes the new wall time at its next start.
//
// # Across a restart
//
// What the gateway stored before a restart (alarms' raise times and their
// timelines, from which the next deadlines are worked out) is in the old
// run's time. Run writes an anchor file every few seconds: the gateway's
// time together with the kernel's boot id and boot-time clock. At the next
// start, on the same boot, the boot-time clock says exactly how much real
// time passed, so Start can tell a wall-clock step that happened while the
// gateway was down from the downtime itself, and reports it as Shift: the
// amount to add to stored times to put them in the new run's time. After a
// reboot only a clock that went backwards can be told from downtime: the
// stored times are then moved back so that they are not in the future.
package clock

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Tuning.
const (
	// Tolerance is the largest difference between the wall clock and the
	// gateway's time that is taken as drift, not a step.
	Tolerance = 2 * time.Second
	// checkEvery is how often Run compares the two clocks.
	checkEvery = time.Second
	// anchorEvery is how often Run writes the anchor file.
	anchorEvery = 5 * time.Second
)

// Config configures a Clock.
type Config struct {
	// AnchorPath is the anchor file (data_dir/clock.json); "" keeps none,
	// and Start then reports no Shift.
	AnchorPath string
	// Wall reads the system's wall clock; nil is time.Now. Tests (and the
	// fault suite, through OffsetWall) pass a clock they can step.
	Wall func() time.Time
	// Boot reads the kernel's boot id and boot-time clock; nil is the
	// running kernel's (ReadBoot). ok false: cannot tell (not Linux).
	Boot func() (id string, sinceBoot time.Duration, ok bool)
	// Logger may be nil (nothing logged).
	Logger *slog.Logger
	// Registerer may be nil (the offset gauge is kept but not exported).
	Registerer prometheus.Registerer
}

// Clock is the gateway's time. Now is safe for concurrent use.
type Clock struct {
	cfg   Config
	log   *slog.Logger
	start time.Time // the wall clock read at Start
	mono  time.Time // time.Now at Start: its monotonic reading measures time since
	shift time.Duration

	offset    prometheus.Gauge
	steps     prometheus.Counter
	lastStep  atomic.Int64 // the offset last logged, in ms
	anchorErr bool
}

// Start reads the wall clock and the anchor file of the last run and
// returns the Clock. It starts no goroutine; Run watches the wall clock.
func Start(cfg Config) (*Clock, error) {
	if cfg.Wall == nil {
		cfg.Wall = time.Now
	}
	if cfg.Boot == nil {
		cfg.Boot = ReadBoot
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Clock{cfg: cfg, log: cfg.Logger, start: cfg.Wall().Round(0), mono: time.Now()}
	c.offset = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gridwatch_clock_offset_seconds",
		Help: "The system wall clock minus the gateway's time (wall at start plus monotonic time since); non-zero after a step of the wall clock while the gateway runs.",
	})
	c.steps = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gridwatch_clock_steps_total",
		Help: "Steps of the system wall clock noticed while the gateway ran (each moved the offset by more than 2 s).",
	})
	if cfg.Registerer != nil {
		for _, m := range []prometheus.Collector{c.offset, c.steps} {
			if err := cfg.Registerer.Register(m); err != nil {
				return nil, fmt.Errorf("clock: metrics: %w", err)
			}
		}
	}
	if cfg.AnchorPath != "" {
		prev, err := readAnchor(cfg.AnchorPath)
		if err != nil {
			c.log.Warn("clock anchor unreadable; stored times are taken as they are", "path", cfg.AnchorPath, "err", err)
		} else if prev != nil {
			c.shift = c.shiftSince(*prev)
		}
	}
	return c, nil
}

// Now is the gateway's time: the wall clock as read at Start, plus the
// monotonic time since.
func (c *Clock) Now() time.Time { return c.start.Add(time.Since(c.mono)) }

// Shift is what to add to times stored by the last run to put them in this
// run's time; zero when the wall clock did not step while the gateway was
// down (or that cannot be told).
func (c *Clock) Shift() time.Duration { return c.shift }

// Offset is the wall clock minus the gateway's time.
func (c *Clock) Offset() time.Duration {
	return c.cfg.Wall().Round(0).Sub(c.Now().Round(0))
}

// shiftSince works out Shift from the anchor of the last run.
func (c *Clock) shiftSince(prev anchor) time.Duration {
	nowMS := c.start.UnixMilli()
	id, since, ok := c.cfg.Boot()
	if ok && prev.BootID != "" && id == prev.BootID {
		// Same boot: the boot-time clock counts real time exactly.
		expected := prev.GatewayMS + (since - time.Duration(prev.SinceBootNS)).Milliseconds()
		step := time.Duration(nowMS-expected) * time.Millisecond
		if step.Abs() <= Tolerance {
			return 0
		}
		c.log.Error("the wall clock stepped while the gateway was down; stored alarm times are moved by the step so their deadlines keep their real spacing",
			"step", step.Round(time.Millisecond).String(), "last_run_time", time.UnixMilli(prev.GatewayMS).Format(time.RFC3339Nano),
			"down_for", (since - time.Duration(prev.SinceBootNS)).Round(time.Millisecond).String())
		return step
	}
	// Another boot: downtime is unknown, but the clock must not be behind
	// the last run's time.
	if behind := time.Duration(prev.GatewayMS-nowMS) * time.Millisecond; behind > Tolerance {
		c.log.Error("the wall clock is behind the time the gateway last stored; stored alarm times are moved back by the difference (taken as no downtime)",
			"behind", behind.Round(time.Millisecond).String(), "last_run_time", time.UnixMilli(prev.GatewayMS).Format(time.RFC3339Nano))
		return -behind
	}
	return 0
}

// Run compares the wall clock with the gateway's time every second, logs
// a step once, and writes the anchor file every few seconds and on stop.
// The first anchor is written a few seconds after the start, by when the
// stores have taken their shifted times.
func (c *Clock) Run(ctx context.Context) error {
	tick := time.NewTicker(checkEvery)
	defer tick.Stop()
	lastAnchor := time.Now()
	for {
		select {
		case <-ctx.Done():
			c.saveAnchor()
			return nil
		case <-tick.C:
			c.check()
			if time.Since(lastAnchor) >= anchorEvery {
				c.saveAnchor()
				lastAnchor = time.Now()
			}
		}
	}
}

// check notices a step of the wall clock.
func (c *Clock) check() {
	off := c.Offset()
	c.offset.Set(off.Seconds())
	last := time.Duration(c.lastStep.Load()) * time.Millisecond
	if math.Abs(float64(off-last)) <= float64(Tolerance) {
		return
	}
	c.lastStep.Store(off.Milliseconds())
	c.steps.Inc()
	c.log.Warn("the wall clock stepped; escalation deadlines and supervision keep running on the monotonic clock, and new records keep the gateway's time until it restarts",
		"wall_minus_gateway", off.Round(time.Millisecond).String(), "wall", c.cfg.Wall().Format(time.RFC3339Nano),
		"gateway", c.Now().Format(time.RFC3339Nano))
}

func (c *Clock) saveAnchor() {
	if c.cfg.AnchorPath == "" {
		return
	}
	if err := c.writeAnchor(); err != nil {
		if !c.anchorErr {
			c.log.Warn("clock anchor not written", "path", c.cfg.AnchorPath, "err", err)
		}
		c.anchorErr = true
		return
	}
	c.anchorErr = false
}
