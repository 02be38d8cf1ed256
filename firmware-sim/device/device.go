package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// commandQueue bounds the commands waiting for an answer; beyond it a
// command is dropped (and logged) rather than stalling the MQTT client.
const commandQueue = 64

// Config is what every simulated device shares.
type Config struct {
	Dial   mqttconn.Dial
	Topics wire.Topics
	// Logger receives the device's story: connects, commands, failures.
	// Nil discards it.
	Logger *slog.Logger
	// Now is the wall clock for payload timestamps; nil is time.Now.
	Now func() time.Time
	// Seed makes the telemetry drift and start jitter reproducible; each
	// device mixes in a hash of its id. Zero picks a random seed.
	Seed uint64
}

func (c *Config) fill() {
	if c.Topics.Root == "" {
		c.Topics.Root = wire.DefaultRoot
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Seed == 0 {
		c.Seed = rand.Uint64()
	}
}

// Device is one simulated box. New starts nothing; Run connects and runs
// it until its context ends.
type Device struct {
	id       string
	interval time.Duration
	cfg      Config
	log      *slog.Logger
	rng      *rand.Rand
	client   paho.Client

	connected chan struct{} // OnConnect → Run: (re)announce and resubscribe
	cmds      chan paho.Message
	ready     chan struct{}
	seq       atomic.Int64
	// Injected faults (inject.go): telemetry overrides and clock skew.
	mainsOff   atomic.Bool
	batteryLow atomic.Bool
	skew       atomic.Int64 // ns ahead of cfg.Now
	// startDelay holds the connect back, to spread a fleet's connects.
	startDelay time.Duration
}

// New prepares a simulated device for reg. It checks the id and interval.
func New(cfg Config, reg *registry.Device) (*Device, error) {
	cfg.fill()
	if reg == nil {
		return nil, errors.New("device: nil registry device")
	}
	if !wire.ValidID(reg.ID) {
		return nil, fmt.Errorf("device %q: id must match [A-Za-z0-9._-]{1,64}", reg.ID)
	}
	if err := cfg.Dial.Validate(); err != nil {
		return nil, fmt.Errorf("device %s: %w", reg.ID, err)
	}
	interval := reg.Heartbeat
	if interval == 0 {
		interval = registry.DefaultHeartbeat
	}
	if interval < 0 {
		return nil, fmt.Errorf("device %s: negative heartbeat %v", reg.ID, interval)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(reg.ID))
	d := &Device{
		id:        reg.ID,
		interval:  interval,
		cfg:       cfg,
		log:       cfg.Logger.With("device", reg.ID),
		rng:       rand.New(rand.NewPCG(cfg.Seed, h.Sum64())),
		connected: make(chan struct{}, 1),
		cmds:      make(chan paho.Message, commandQueue),
		ready:     make(chan struct{}),
	}
	// With per-id logins (Dial.PerID) the device logs in as its own id.
	o := cfg.Dial.As(reg.ID).Options(reg.ID).
		SetCleanSession(true).
		SetWill(cfg.Topics.State(reg.ID), wire.Offline, 1, true).
		SetOnConnectHandler(func(paho.Client) {
			select {
			case d.connected <- struct{}{}:
			default: // a signal is already pending
			}
		})
	d.client = paho.NewClient(o)
	return d, nil
}

// ID is the device id.
func (d *Device) ID() string { return d.id }

// Ready is closed once the device is connected, has said "online" and
// listens for commands.
func (d *Device) Ready() <-chan struct{} { return d.ready }

// Run connects (retrying until ctx ends), then heart-beats and answers
// commands until ctx ends. On the way out it says "offline" (retained) and
// disconnects. It returns nil after a normal stop.
func (d *Device) Run(ctx context.Context) error {
	if !sleep(ctx, d.startDelay) {
		return nil
	}
	if !d.connect(ctx) {
		return nil
	}
	defer d.stop()

	tel := newTelemetry(d.rng)
	// The first heartbeat comes at a random point of the first interval so
	// that thousands of devices do not publish in lock-step.
	beat := time.NewTimer(time.Duration(d.rng.Int64N(int64(d.interval)) + 1))
	defer beat.Stop()
	readyOnce := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-d.connected:
			if err := d.announce(ctx); err != nil {
				d.log.Warn("announce failed", "err", err)
				continue
			}
			if !readyOnce {
				readyOnce = true
				close(d.ready)
			}
		case m := <-d.cmds:
			d.answer(ctx, m)
		case <-beat.C:
			beat.Reset(d.interval)
			tel.step(d.rng)
			d.publishTelemetry(ctx, tel)
		}
	}
}

// connect tries until it succeeds or ctx ends, backing off up to 10 s.
func (d *Device) connect(ctx context.Context) bool {
	backoff := 500 * time.Millisecond
	for {
		err := d.cfg.Dial.Connect(ctx, d.client)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		d.log.Warn("connect failed, retrying", "err", err, "in", backoff)
		if !sleep(ctx, backoff) {
			return false
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// announce subscribes to the command topic and then says "online"
// (retained), so that a device seen online takes commands. It runs after
// every connect because the session is clean.
func (d *Device) announce(ctx context.Context) error {
	err := d.cfg.Dial.Subscribe(ctx, d.client, d.cfg.Topics.Command(d.id), 1, func(_ paho.Client, m paho.Message) {
		select {
		case d.cmds <- m:
		default:
			d.log.Warn("command dropped: too many waiting", "topic", m.Topic())
		}
	})
	if err != nil {
		return err
	}
	if err := d.cfg.Dial.Publish(ctx, d.client, d.cfg.Topics.State(d.id), 1, true, []byte(wire.Online)); err != nil {
		return err
	}
	d.log.Info("online")
	return nil
}

func (d *Device) publishTelemetry(ctx context.Context, tel telemetry) {
	p := tel.payload(d.now())
	if d.mainsOff.Load() {
		p["mains"] = false
	}
	if d.batteryLow.Load() {
		p["battery_v"] = LowBatteryV
	}
	b, err := json.Marshal(p)
	if err != nil {
		d.log.Error("encode telemetry", "err", err)
		return
	}
	if err := d.cfg.Dial.Publish(ctx, d.client, d.cfg.Topics.Telemetry(d.id), 1, false, b); err != nil && ctx.Err() == nil {
		d.log.Warn("telemetry not sent", "err", err)
	}
}

// stop says "offline" itself (a clean disconnect does not fire the will)
// and disconnects, each step bounded.
func (d *Device) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), d.cfg.Dial.Ack())
	defer cancel()
	if d.client.IsConnected() {
		if err := d.cfg.Dial.Publish(ctx, d.client, d.cfg.Topics.State(d.id), 1, true, []byte(wire.Offline)); err != nil {
			d.log.Warn("offline not sent", "err", err)
		}
	}
	d.client.Disconnect(uint(mqttconn.DisconnectQuiesce / time.Millisecond))
}

// Emit publishes one event of this device with the next sequence number
// and waits (bounded) for the broker's PUBACK. It is safe to call from any
// goroutine while Run runs; it fails if the device is not connected.
func (d *Device) Emit(ctx context.Context, typ string, data map[string]any) (int64, error) {
	seq := d.seq.Add(1)
	msg := wire.EventMsg{Type: typ, TS: d.now().UnixMilli(), Seq: seq, Data: data}
	if err := publishEvent(ctx, d.cfg.Dial, d.client, d.cfg.Topics.Event(d.id), msg); err != nil {
		return 0, fmt.Errorf("device %s: %w", d.id, err)
	}
	d.log.Info("event", "type", typ, "seq", seq)
	return seq, nil
}

// sleep waits for d or ctx; it reports whether ctx is still alive.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
