package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Defaults of a bench run (the load the latency target is stated for: 10 presses/s over 5,000 background messages/s).
const (
	DefaultPressRate      = 10
	DefaultBackgroundRate = 5000
	DefaultDevices        = 200
	DefaultDuration       = 30 * time.Second
	DefaultLostAfter      = 5 * time.Second
	DefaultPublishers     = 4
)

// Config is one bench run. Zero values take the defaults, except the
// rates: set them (ParseRate) or use the Default constants.
type Config struct {
	Dial     mqttconn.Dial
	Topics   wire.Topics
	Registry *registry.Registry
	// PressRate and BackgroundRate are per second.
	PressRate      float64
	BackgroundRate float64
	// Devices is how many MQTT devices the background telemetry is spread
	// over; Publishers how many clients publish it.
	Devices    int
	Publishers int
	Duration   time.Duration
	// LostAfter is how long a press may wait for its first page.
	LostAfter time.Duration
	// NoAlarms says the system under test keeps no alarms (the floor
	// relay of internal/floor): a box may be pressed again as soon as its
	// page arrived, and no close is waited for or counted as unclosed.
	NoAlarms bool
	Logger   *slog.Logger
}

// Bench is one configured run. New starts nothing.
type Bench struct {
	cfg  Config
	plan plan
}

// New checks cfg and picks the light boxes, phones and background devices.
func New(cfg Config) (*Bench, error) {
	var errs []error
	if cfg.Registry == nil {
		errs = append(errs, errors.New("bench: a registry is required"))
	}
	if err := cfg.Dial.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("bench: %w", err))
	}
	if cfg.PressRate < 0 || cfg.BackgroundRate < 0 {
		errs = append(errs, errors.New("bench: rates must not be negative"))
	}
	if cfg.Devices < 0 || cfg.Publishers < 0 || cfg.Duration < 0 || cfg.LostAfter < 0 {
		errs = append(errs, errors.New("bench: devices, publishers, duration and lost-after must not be negative"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = wire.DefaultRoot
	}
	if cfg.Devices == 0 {
		cfg.Devices = DefaultDevices
	}
	if cfg.Publishers == 0 {
		cfg.Publishers = DefaultPublishers
	}
	if cfg.Duration == 0 {
		cfg.Duration = DefaultDuration
	}
	if cfg.LostAfter == 0 {
		cfg.LostAfter = DefaultLostAfter
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p, err := makePlan(cfg.Registry, cfg.Devices)
	if err != nil {
		return nil, err
	}
	if cfg.BackgroundRate > 0 && len(p.bgDevs) == 0 {
		return nil, errors.New("bench: background telemetry asked for, but the registry has no MQTT device")
	}
	return &Bench{cfg: cfg, plan: p}, nil
}

// Run runs the bench once and returns what it measured. It fails only if
// it cannot connect its clients; lost presses are part of the result. If
// ctx ends early the result covers the time run so far.
func (b *Bench) Run(ctx context.Context) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	quiesce := uint(mqttconn.DisconnectQuiesce / time.Millisecond)
	tr := newTracker(b.plan.boxes, b.cfg.LostAfter, b.cfg.NoAlarms)

	phones, err := b.startPhones(ctx, &wg, tr)
	if err != nil {
		return Result{}, err
	}
	watch := paho.NewClient(b.cfg.Dial.Options(uniqueID("gridsim-bench-watch")))
	if err := b.cfg.Dial.Connect(ctx, watch); err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	defer watch.Disconnect(quiesce)
	err = b.cfg.Dial.Subscribe(ctx, watch, b.cfg.Topics.Alarm("+"), 1, func(_ paho.Client, m paho.Message) {
		if len(m.Payload()) == 0 { // an empty retained message: the alarm closed
			tr.closed(m.Topic()[len(b.cfg.Topics.Alarm("")):])
			return
		}
		var a struct {
			ID     string `json:"id"`
			Device string `json:"device"`
			Count  int    `json:"count"`
		}
		if json.Unmarshal(m.Payload(), &a) == nil && a.ID != "" {
			tr.update(a.ID, a.Device, a.Count)
		}
	})
	if err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	press := paho.NewClient(b.cfg.Dial.Options(uniqueID("gridsim-bench-press")))
	if err := b.cfg.Dial.Connect(ctx, press); err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	defer press.Disconnect(quiesce)
	bgs, err := b.connectBackground(ctx)
	defer func() {
		for _, c := range bgs {
			c.Disconnect(quiesce)
		}
	}()
	if err != nil {
		return Result{}, err
	}
	if err := waitReady(ctx, phones, b.cfg.Dial.Ack()+mqttconn.DefaultConnectTimeout); err != nil {
		return Result{}, err
	}

	var sent atomic.Int64
	start := time.Now()
	bgCtx, stopBg := context.WithDeadline(ctx, start.Add(b.cfg.Duration))
	var bgWG sync.WaitGroup
	for i, c := range bgs {
		share := shard(b.plan.bgDevs, i, len(bgs))
		bgWG.Go(func() { background(bgCtx, c, b.cfg.Topics, share, b.cfg.BackgroundRate/float64(len(bgs)), &sent) })
	}
	skipped := b.pressLoop(bgCtx, press, tr, start)
	stopBg()
	bgWG.Wait()
	secs := time.Since(start).Seconds()
	b.drain(ctx, tr)

	r := Result{
		Skipped: skipped, Background: int(sent.Load()), BgDevices: len(b.plan.bgDevs),
		Lightboxes: len(b.plan.boxes), Phones: len(phones), Seconds: math.Round(secs*10) / 10,
	}
	tr.fill(&r)
	r.PressRate = float64(r.Presses) / secs
	r.BackgroundRate = float64(r.Background) / secs
	return r, nil
}

// pressLoop presses at the configured rate until ctx ends and returns how
// many ticks found no free light box.
func (b *Bench) pressLoop(ctx context.Context, c paho.Client, tr *tracker, start time.Time) int {
	skipped := 0
	sweep := time.NewTicker(50 * time.Millisecond)
	defer sweep.Stop()
	var presses <-chan time.Time
	if b.cfg.PressRate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / b.cfg.PressRate))
		defer t.Stop()
		presses = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return skipped
		case now := <-sweep.C:
			tr.sweep(now)
		case <-presses:
			t0 := time.Now()
			box, ok := tr.press(t0)
			if !ok {
				skipped++
				continue
			}
			msg, _ := json.Marshal(wire.EventMsg{Type: event.ButtonPressed, TS: t0.UnixMilli(), Seq: t0.UnixMicro()})
			// Not waited for here: the clock runs until a phone is paged,
			// and a failed publish shows up as a lost press.
			c.Publish(b.cfg.Topics.Event(box), 1, false, msg)
		}
	}
}

// drain waits (bounded by LostAfter) for the presses still in flight.
func (b *Bench) drain(ctx context.Context, tr *tracker) {
	deadline := time.Now().Add(b.cfg.LostAfter + 100*time.Millisecond)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for tr.waiting() > 0 {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			tr.sweep(now)
			if now.After(deadline) {
				return
			}
		}
	}
}
