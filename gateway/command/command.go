// Package command sends commands to MQTT devices on R/dev/{id}/cmd and
// follows each until the device answers on R/dev/{id}/cmd/ack or its time
// runs out. Every command ends in exactly one Result: ok, failed (the
// device said no, or the publish failed) or timeout.
//
// Command ids are unique across restarts ("c" + the start time in base 36
// + a counter). Pending commands live in memory: after a restart a late
// ack of an older command is counted as unknown and otherwise ignored;
// what asked for it (a broadcast) has its own durable record.
//
// # Metrics
//
//	gridwatch_commands_total{cmd,outcome}  ok, failed, timeout
//	gridwatch_command_acks_unknown_total   acks for no pending command
//	gridwatch_commands_pending             commands waiting for an ack
package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Outcomes of a command.
const (
	OK      = "ok"
	Failed  = "failed"
	Timeout = "timeout"
)

// DefaultTimeout is how long a device has to acknowledge a command.
const DefaultTimeout = 2 * time.Minute

// Publisher sends an MQTT message (the embedded broker or the link).
type Publisher interface {
	Publish(topic string, payload []byte, qos byte, retain bool) error
}

// Result is how a command ended.
type Result struct {
	ID      string `json:"cid"`
	Device  string `json:"device"`
	Cmd     string `json:"cmd"`
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	SentMS  int64  `json:"sent_ms"`
	DoneMS  int64  `json:"done_ms"`
}

// Config configures a Dispatcher. Publisher is required.
type Config struct {
	Publisher Publisher
	Topics    wire.Topics
	// Timeout is how long a device has to acknowledge; 0 means DefaultTimeout.
	Timeout time.Duration
	// OnResult, if set, is called once per command when it ends, from the
	// goroutine that ended it (an ack from ingest, Send, or Run's expiry).
	// It must not block.
	OnResult func(Result)
	// Now is the clock; nil means time.Now.
	Now        func() time.Time
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Dispatcher sends commands and matches their acks.
type Dispatcher struct {
	cfg    Config
	log    *slog.Logger
	prefix string

	mu      sync.Mutex
	next    uint64
	pending map[string]Result
	waiters map[string]chan Result // commands whose sender waits for the outcome (SendWait)

	outcomes *prometheus.CounterVec
	unknown  prometheus.Counter
	waiting  prometheus.GaugeFunc
}

// New checks cfg and builds a Dispatcher; Run expires unanswered commands.
func New(cfg Config) (*Dispatcher, error) {
	if cfg.Publisher == nil {
		return nil, errors.New("command: no publisher")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &Dispatcher{cfg: cfg, log: cfg.Logger, pending: map[string]Result{},
		waiters: map[string]chan Result{}, prefix: "c" + strconv.FormatInt(cfg.Now().UnixMilli(), 36) + "-"}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.outcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gridwatch_commands_total", Help: "Device commands by command and how they ended.",
	}, []string{"cmd", "outcome"})
	d.unknown = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gridwatch_command_acks_unknown_total", Help: "Command acks that matched no pending command.",
	})
	d.waiting = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gridwatch_commands_pending", Help: "Commands sent and not yet acknowledged.",
	}, func() float64 { d.mu.Lock(); defer d.mu.Unlock(); return float64(len(d.pending)) })
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{d.outcomes, d.unknown, d.waiting} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("command: metrics: %w", err)
			}
		}
	}
	return d, nil
}

// Send publishes c to its device with a fresh command id (QoS 1) and
// returns the id. A publish that fails ends the command at once (counted
// as failed) and returns the error; OnResult is not called for it, since
// the caller holds the error (and may hold a lock OnResult needs).
func (d *Dispatcher) Send(c event.Command) (string, error) { return d.send(c, nil) }

// SendWait sends c like Send and waits until the device answers, the
// command times out, or ctx is done. It returns the command's Result; a
// ctx that ends first returns what is known so far (no Outcome, no
// DoneMS) and ctx's error, and the command stays pending as any other.
// OnResult is called as for Send.
func (d *Dispatcher) SendWait(ctx context.Context, c event.Command) (Result, error) {
	done := make(chan Result, 1)
	id, err := d.send(c, done)
	if err != nil {
		return Result{ID: id, Device: c.Device, Cmd: c.Cmd, Outcome: Failed, Error: err.Error()}, err
	}
	select {
	case r := <-done:
		return r, nil
	case <-ctx.Done():
		d.mu.Lock()
		r := d.pending[id]
		delete(d.waiters, id)
		d.mu.Unlock()
		if r.ID == "" {
			r = Result{ID: id, Device: c.Device, Cmd: c.Cmd}
		}
		select {
		case fin := <-done: // ended while we gave up
			return fin, nil
		default:
		}
		return r, ctx.Err()
	}
}

func (d *Dispatcher) send(c event.Command, wait chan Result) (string, error) {
	if !event.ValidID(c.Device) || c.Cmd == "" {
		return "", fmt.Errorf("command: bad device %q or empty command", c.Device)
	}
	d.mu.Lock()
	d.next++
	id := d.prefix + strconv.FormatUint(d.next, 10)
	r := Result{ID: id, Device: c.Device, Cmd: c.Cmd, SentMS: d.cfg.Now().UnixMilli()}
	d.pending[id] = r
	if wait != nil {
		d.waiters[id] = wait
	}
	d.mu.Unlock()
	payload, err := json.Marshal(wire.CommandMsg{CID: id, Cmd: c.Cmd, Args: c.Args})
	if err == nil {
		err = d.cfg.Publisher.Publish(d.cfg.Topics.Command(c.Device), payload, 1, false)
	}
	if err != nil {
		d.finish(id, Failed, "publish: "+err.Error(), false)
		return id, fmt.Errorf("command %s to %s: %w", c.Cmd, c.Device, err)
	}
	return id, nil
}

// Ack takes a device's answer. It reports whether it matched a pending
// command of that device.
func (d *Dispatcher) Ack(a event.CommandAck) bool {
	d.mu.Lock()
	r, ok := d.pending[a.ID]
	d.mu.Unlock()
	if !ok || r.Device != a.Device {
		d.unknown.Inc()
		d.log.Debug("command ack for nothing pending", "device", a.Device, "cid", a.ID)
		return false
	}
	if a.OK {
		return d.end(a.ID, OK, "")
	}
	msg := a.Error
	if msg == "" {
		msg = "refused by the device"
	}
	return d.end(a.ID, Failed, msg)
}

// end finishes a pending command once and reports it to OnResult.
func (d *Dispatcher) end(id, outcome, msg string) bool { return d.finish(id, outcome, msg, true) }

func (d *Dispatcher) finish(id, outcome, msg string, report bool) bool {
	d.mu.Lock()
	r, ok := d.pending[id]
	delete(d.pending, id)
	wait := d.waiters[id]
	delete(d.waiters, id)
	d.mu.Unlock()
	if !ok {
		return false
	}
	r.Outcome, r.Error, r.DoneMS = outcome, msg, d.cfg.Now().UnixMilli()
	if wait != nil {
		wait <- r // buffered, one send per command
	}
	d.outcomes.WithLabelValues(r.Cmd, outcome).Inc()
	if outcome != OK {
		d.log.Warn("command did not succeed", "device", r.Device, "cmd", r.Cmd, "cid", id, "outcome", outcome, "err", msg)
	}
	if report && d.cfg.OnResult != nil {
		d.cfg.OnResult(r)
	}
	return true
}

// Run ends commands nobody acknowledged in time, checking every tick (a
// tenth of the timeout, at least 10 ms) until ctx is done.
func (d *Dispatcher) Run(ctx context.Context) error {
	tick := time.NewTicker(max(d.cfg.Timeout/10, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			d.Expire()
		}
	}
}

// Expire ends every pending command older than the timeout.
func (d *Dispatcher) Expire() {
	cutoff := d.cfg.Now().Add(-d.cfg.Timeout).UnixMilli()
	var late []string
	d.mu.Lock()
	for id, r := range d.pending {
		if r.SentMS <= cutoff {
			late = append(late, id)
		}
	}
	d.mu.Unlock()
	for _, id := range late {
		d.end(id, Timeout, "no ack within "+d.cfg.Timeout.String())
	}
}
