package thresholds

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/ratelog"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// OwnGrace is how long beyond a threshold's hold a crossing waits for the
// device's own event, once the device has been seen sending that event
// type itself.
const OwnGrace = 2 * time.Minute

// Default save intervals of the state file (see Config).
const (
	DefaultSaveDirty = 5 * time.Second
	DefaultSaveIdle  = time.Minute
)

// Journal makes an event durable and gives it its ID.
type Journal interface {
	Append(ctx context.Context, ev *event.Event) error
}

// Config wires a Monitor. Registry and Journal are required.
type Config struct {
	// Path is the state file; "" keeps the state in memory only.
	Path     string
	Registry func() *registry.Registry
	Journal  Journal
	// SaveDirty is how soon after a change the telemetry path writes the
	// state file (DefaultSaveDirty); SaveIdle how often it writes it
	// anyway, to move its journal ID on (DefaultSaveIdle).
	SaveDirty, SaveIdle time.Duration

	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
}

// key names one threshold of one device.
type key struct{ device, field string }

// cond is the state of one threshold of one device.
type cond struct {
	raised bool
	id     uint64 // journal ID of the event that set raised (0: none)
	at     int64  // that event's time, Unix ms
	// since is when the first sample towards the other state came (zero:
	// none, or one since went back); not kept across a restart.
	since time.Time
	// busy is set while a derived event is being journaled.
	busy bool
}

// Monitor judges telemetry against the registry's thresholds and journals
// the events crossings mean. Its methods are safe for concurrent use.
type Monitor struct {
	cfg Config
	log *ratelog.Limiter
	m   *metrics

	mu    sync.Mutex
	conds map[key]*cond
	// own is when each device last sent each threshold event type itself
	// (Unix ms, gateway time).
	own   map[string]map[string]int64
	dirty bool

	// after is the ID of the last journal event applied: every event of a
	// threshold's types up to it is in conds.
	after atomic.Uint64

	saveMu   sync.Mutex // one writer of the file
	lastSave time.Time
}

// New checks cfg and builds a Monitor with an empty state. It starts
// nothing; call Restore before the first telemetry.
func New(cfg Config) (*Monitor, error) {
	var errs []error
	if cfg.Registry == nil {
		errs = append(errs, errors.New("thresholds: Registry is required"))
	}
	if cfg.Journal == nil {
		errs = append(errs, errors.New("thresholds: Journal is required"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SaveDirty <= 0 {
		cfg.SaveDirty = DefaultSaveDirty
	}
	if cfg.SaveIdle <= 0 {
		cfg.SaveIdle = DefaultSaveIdle
	}
	mon := &Monitor{cfg: cfg, log: ratelog.New(cfg.Logger, 10*time.Second, cfg.Now),
		conds: map[key]*cond{}, own: map[string]map[string]int64{}}
	m, err := newMetrics(cfg.Registerer, mon.raisedCount)
	if err != nil {
		return nil, err
	}
	mon.m = m
	return mon, nil
}

// Telemetry judges one accepted sample of dev against its thresholds and
// journals the event of each crossing that has held long enough. It waits
// for the journal only when it journals (a crossing, rare); ctx bounds
// that wait.
func (m *Monitor) Telemetry(ctx context.Context, t event.Telemetry, dev *registry.Device) {
	ts := m.cfg.Registry().Thresholds(dev.ID)
	if len(ts) == 0 {
		return
	}
	now := m.cfg.Now()
	for _, th := range ts {
		v, ok := t.Fields[th.Field]
		if !ok {
			continue
		}
		s, ok := judge(th.Threshold, v)
		if !ok {
			m.m.problems.WithLabelValues(reasonWrongType).Inc()
			m.log.Warn("type:"+dev.ID+":"+th.Field, "telemetry field not judged: wrong type", "device", dev.ID, "field", th.Field, "value", v)
			continue
		}
		ev := m.step(dev.ID, th, s, v, t, now)
		if ev == nil {
			continue
		}
		err := m.cfg.Journal.Append(ctx, ev)
		m.done(key{dev.ID, th.Field}, th, ev, err)
	}
	m.maybeSave(now)
}

// step moves one threshold of device on a sample at side s and returns
// the event to journal, if its crossing has held long enough.
func (m *Monitor) step(device string, th registry.FieldThreshold, s side, v any, t event.Telemetry, now time.Time) *event.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := key{device, th.Field}
	c := m.conds[k]
	if c == nil {
		c = &cond{}
		m.conds[k] = c
	}
	if c.busy {
		return nil
	}
	if (c.raised && s != clear) || (!c.raised && s != raise) {
		c.since = time.Time{}
		return nil
	}
	if c.since.IsZero() {
		c.since = now
	}
	typ := th.Event
	if c.raised {
		typ = th.ClearEvent
	}
	hold := th.Hold
	if m.own[device][typ] != 0 {
		hold += OwnGrace
	}
	if now.Sub(c.since) < hold {
		return nil
	}
	if typ == "" { // cleared, with nothing to journal
		c.raised, c.id, c.at, c.since = false, 0, now.UnixMilli(), time.Time{}
		m.dirty = true
		return nil
	}
	c.busy = true
	data := map[string]any{"field": th.Field, "value": v, "sample_ts": t.TS}
	levels(th.Threshold, data)
	return &event.Event{Device: device, Type: typ, TS: now.UnixMilli(), Received: now.UnixMilli(),
		Source: event.SourceGateway, Data: data}
}

// done records the outcome of journaling ev for threshold k.
func (m *Monitor) done(k key, th registry.FieldThreshold, ev *event.Event, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.conds[k]
	c.busy = false
	if err != nil {
		m.m.problems.WithLabelValues(reasonNotJournaled).Inc()
		m.log.Error("journal:"+k.device, "derived event not journaled; tried again at the next sample",
			"device", k.device, "type", ev.Type, "err", err)
		return
	}
	m.m.events.WithLabelValues(ev.Type).Inc()
	m.cfg.Logger.Info("telemetry threshold crossed", "device", k.device, "field", th.Field, "value", ev.Data["value"],
		"type", ev.Type, "event", ev.ID)
	m.set(c, ev.Type == th.Event, ev) // Journaled did so already when it is wired to the journal
}

// set puts c in the state ev says, unless c already follows ev or a later
// event.
func (m *Monitor) set(c *cond, raised bool, ev *event.Event) {
	if ev.ID != 0 && ev.ID <= c.id {
		return
	}
	c.raised, c.id, c.at, c.since = raised, ev.ID, ev.TS, time.Time{}
	m.dirty = true
}

// Journaled takes every batch of events the journal made durable, in ID
// order (Run follows the journal): the events of a threshold's
// types move its state, whoever sent them. It is quick and never waits.
func (m *Monitor) Journaled(batch []event.Event) {
	if len(batch) == 0 {
		return
	}
	reg := m.cfg.Registry()
	for i := range batch {
		if reg.ThresholdEvent(batch[i].Type) {
			m.apply(reg, &batch[i])
		}
	}
	m.after.Store(batch[len(batch)-1].ID)
}

// apply moves the thresholds of ev's device that journal ev's type.
func (m *Monitor) apply(reg *registry.Registry, ev *event.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ev.Source != event.SourceGateway {
		own := m.own[ev.Device]
		if own == nil {
			own = map[string]int64{}
			m.own[ev.Device] = own
		}
		own[ev.Type] = max(own[ev.Type], ev.Received)
		m.dirty = true
	}
	for _, th := range reg.Thresholds(ev.Device) {
		var raised bool
		switch ev.Type {
		case th.Event:
			raised = true
		case th.ClearEvent:
		default:
			continue
		}
		k := key{ev.Device, th.Field}
		c := m.conds[k]
		if c == nil {
			c = &cond{}
			m.conds[k] = c
		}
		m.set(c, raised, ev)
	}
}

// Raised reports whether device's threshold on field is raised.
func (m *Monitor) Raised(device, field string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.conds[key{device, field}]
	return c != nil && c.raised
}
