package edge

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Commander is a driver that carries out device commands (a serial bus:
// strobe, siren, unlock). Command returns once the device did it or
// refused it, or ctx ended.
type Commander interface {
	Command(ctx context.Context, c event.Command) event.CommandAck
}

// CommandQueueLen bounds the rule commands waiting for one driver; a full
// queue refuses (counted) rather than hold up the alarm path.
const CommandQueueLen = 32

// CommandTimeout bounds how long one command may wait for its driver.
const CommandTimeout = 10 * time.Second

// CommandMetrics counts rule commands to drivers in
// gridwatch_serial_commands_total{bus,outcome} (named when only serial
// buses took commands; bus is the driver's name): ok, refused by the
// driver or the device, dropped from a full queue. One is shared by every
// driver of a gateway.
type CommandMetrics struct {
	total *prometheus.CounterVec
}

// NewCommandMetrics registers the counter with reg (if not nil).
func NewCommandMetrics(reg prometheus.Registerer) (*CommandMetrics, error) {
	m := &CommandMetrics{total: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gridwatch_serial_commands_total",
		Help: "Rule commands to serial (OSDP, Modbus) devices, by bus and outcome: ok, refused by the driver or device, dropped from a full queue.",
	}, []string{"bus", "outcome"})}
	if reg != nil {
		if err := reg.Register(m.total); err != nil {
			return nil, fmt.Errorf("driver commands: metrics: %w", err)
		}
	}
	return m, nil
}

func (m *CommandMetrics) outcome(driver, outcome string) {
	m.total.WithLabelValues(driver, outcome).Inc()
}

// Commands feeds one driver's rule commands to it from its own goroutine,
// so that a slow or busy line never blocks the rules, which send from the
// one goroutine that takes every event to the desk.
type Commands struct {
	name string
	to   Commander
	m    *CommandMetrics
	log  *slog.Logger
	in   chan queued

	mu  sync.Mutex
	seq uint64
}

// NewCommands is the queue of the driver name. It starts nothing; Run
// carries the commands out.
func NewCommands(name string, to Commander, m *CommandMetrics, log *slog.Logger) *Commands {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Commands{name: name, to: to, m: m, log: log, in: make(chan queued, CommandQueueLen)}
}

// Send gives c an id (<driver>-<n>, which names it in logs) and queues it;
// a full queue refuses it. It never blocks.
func (q *Commands) Send(c event.Command) (string, error) { return q.send(c, nil) }

// queued is a command waiting for its turn on the line, and where its
// sender waits for the device's answer (nil: nobody waits).
type queued struct {
	c    event.Command
	done chan event.CommandAck
}

// SendWait queues c like Send and waits until the device answered (ack,
// with ack.ID the command's id), or ctx is done (the command is still
// carried out when its turn comes). A full queue refuses it at once.
func (q *Commands) SendWait(ctx context.Context, c event.Command) (event.CommandAck, error) {
	done := make(chan event.CommandAck, 1)
	id, err := q.send(c, done)
	if err != nil {
		return event.CommandAck{ID: id, Device: c.Device, Error: err.Error()}, err
	}
	select {
	case ack := <-done:
		return ack, nil
	case <-ctx.Done():
		return event.CommandAck{ID: id, Device: c.Device}, ctx.Err()
	}
}

func (q *Commands) send(c event.Command, done chan event.CommandAck) (string, error) {
	q.mu.Lock()
	q.seq++
	c.ID = fmt.Sprintf("%s-%d", q.name, q.seq)
	q.mu.Unlock()
	select {
	case q.in <- queued{c: c, done: done}:
		return c.ID, nil
	default:
		q.m.outcome(q.name, "dropped")
		return c.ID, fmt.Errorf("driver %s: command queue full (%d waiting)", q.name, CommandQueueLen)
	}
}

// Run carries out queued commands until ctx is done, each within
// CommandTimeout. A refusal is logged as a warning the first time for
// each device, command and reason, then at debug level, so that a rule
// that asks a reader for what it cannot do does not flood the log.
func (q *Commands) Run(ctx context.Context) error {
	warned := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case item := <-q.in:
			c := item.c
			cctx, cancel := context.WithTimeout(ctx, CommandTimeout)
			ack := q.to.Command(cctx, c)
			cancel()
			if item.done != nil {
				ack.ID, ack.Device = c.ID, c.Device
				item.done <- ack // buffered, one answer per command
			}
			if ack.OK {
				q.m.outcome(q.name, "ok")
				q.log.Info("rule command sent", "cid", c.ID, "device", c.Device, "cmd", c.Cmd, "args", c.Args)
				continue
			}
			if ctx.Err() != nil {
				return nil
			}
			q.m.outcome(q.name, "refused")
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

// WithCommands is d and its command queue q run together, as one Driver:
// if either fails, both stop and are started again together.
func WithCommands(d Driver, q *Commands) Driver {
	return DriverFunc(func(ctx context.Context) error {
		g, ctx := errgroup.WithContext(ctx)
		g.Go(func() error { return d.Run(ctx) })
		g.Go(func() error { return q.Run(ctx) })
		return g.Wait()
	})
}
