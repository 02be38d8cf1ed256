package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// commandRouter sends each rule command the way its device listens: to a
// serial bus's queue for OSDP readers and Modbus I/O modules, over MQTT
// for the rest. It never blocks: the pipeline calls it on the journal's
// commit path.
type commandRouter struct {
	mqtt commander
	reg  func() *registry.Registry

	mu     sync.RWMutex
	serial map[string]*serialBus // device → its bus; filled once the buses are built
}

var _ commander = (*commandRouter)(nil)

// errNoSerialBus is a serial device with no bus running: added to the
// registry after the start (buses follow the registry as it was then).
var errNoSerialBus = errors.New("no serial bus runs for this device; restart the gateway after adding a port")

// Send routes c; the id it returns names the command in logs.
func (r *commandRouter) Send(c event.Command) (string, error) {
	r.mu.RLock()
	b := r.serial[c.Device]
	r.mu.RUnlock()
	if b != nil {
		return b.cmds.enqueue(c)
	}
	if dev, ok := r.reg().Device(c.Device); ok && (dev.OSDP != nil || dev.Modbus != nil) {
		return "", errNoSerialBus
	}
	return r.mqtt.Send(c)
}

// attach routes the devices of buses to them.
func (r *commandRouter) attach(buses []*serialBus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.serial == nil {
		r.serial = map[string]*serialBus{}
	}
	for _, b := range buses {
		for _, d := range b.devices {
			r.serial[d] = b
		}
	}
}

// commandQueueLen bounds the rule commands waiting for one bus; a full
// queue refuses (counted) rather than hold up the alarm path.
const commandQueueLen = 32

// serialCommandTimeout bounds how long one command may wait for its bus.
const serialCommandTimeout = 10 * time.Second

// commandQueue feeds one bus's commands to its driver from its own
// goroutine, so that a slow or busy line never blocks the pipeline.
type commandQueue struct {
	bus  string
	send func(context.Context, event.Command) event.CommandAck
	m    *commandMetrics
	log  *slog.Logger
	in   chan event.Command

	mu  sync.Mutex
	seq uint64
}

func newCommandQueue(bus string, send func(context.Context, event.Command) event.CommandAck, m *commandMetrics, log *slog.Logger) *commandQueue {
	return &commandQueue{bus: bus, send: send, m: m, log: log, in: make(chan event.Command, commandQueueLen)}
}

// enqueue gives c an id and queues it; a full queue refuses it.
func (q *commandQueue) enqueue(c event.Command) (string, error) {
	q.mu.Lock()
	q.seq++
	c.ID = fmt.Sprintf("%s-%d", q.bus, q.seq)
	q.mu.Unlock()
	select {
	case q.in <- c:
		return c.ID, nil
	default:
		q.m.outcome(q.bus, "dropped")
		return c.ID, fmt.Errorf("serial bus %s: command queue full (%d waiting)", q.bus, commandQueueLen)
	}
}

// run sends queued commands until ctx is done. A refusal is logged as a
// warning the first time for each device, command and reason, then at
// debug level, so a rule that asks a reader for what it cannot do does not
// flood the log.
func (q *commandQueue) run(ctx context.Context) error {
	warned := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-q.in:
			cctx, cancel := context.WithTimeout(ctx, serialCommandTimeout)
			ack := q.send(cctx, c)
			cancel()
			if ack.OK {
				q.m.outcome(q.bus, "ok")
				q.log.Info("rule command sent", "cid", c.ID, "device", c.Device, "cmd", c.Cmd, "args", c.Args)
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			q.m.outcome(q.bus, "refused")
			key := c.Device + "\x00" + c.Cmd + "\x00" + ack.Error
			level := slog.LevelWarn
			if warned[key] {
				level = slog.LevelDebug
			}
			warned[key] = true
			q.log.Log(ctx, level, "rule command not carried out", "cid", c.ID, "device", c.Device, "cmd", c.Cmd, "err", ack.Error)
		}
	}
}

// runWith runs the bus's driver and its command queue together.
func (b *serialBus) runWith(driver func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		g, ctx := errgroup.WithContext(ctx)
		g.Go(func() error { return driver(ctx) })
		g.Go(func() error { return b.cmds.run(ctx) })
		return g.Wait()
	}
}

// commandMetrics counts rule commands to serial devices.
type commandMetrics struct {
	total *prometheus.CounterVec
}

func newCommandMetrics(reg prometheus.Registerer) (*commandMetrics, error) {
	m := &commandMetrics{total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gridwatch_serial_commands_total",
		Help: "Rule commands to serial (OSDP, Modbus) devices, by bus and outcome: ok, refused by the driver or device, dropped from a full queue.",
	}, []string{"bus", "outcome"})}
	if err := reg.Register(m.total); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *commandMetrics) outcome(bus, outcome string) { m.total.WithLabelValues(bus, outcome).Inc() }
