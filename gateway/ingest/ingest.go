// Package ingest is the gateway's one way in. It turns what arrives on the
// MQTT contract into gateway nouns, and takes what the drivers (OSDP and
// Modbus buses, camera streams) report through an Edge, their edge.Sink:
// it checks each input against the registry, drops duplicates and floods
// (one budget per device, whatever its transport), makes events durable
// in the journal before they count as accepted, and hands telemetry,
// presence, signs of life and staff replies to their owners. Every
// refusal is counted by transport and reason and logged at a bounded
// rate; a refusal never holds up anyone else's traffic.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/ratelog"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// Journal makes an event durable and gives it its ID.
type Journal interface {
	Append(ctx context.Context, ev *event.Event) error
}

// Devices keeps what is known of each device's liveness.
type Devices interface {
	Seen(id string, atMS int64)
	Telemetry(t event.Telemetry)
	Presence(p event.Presence)
	Unregistered(id, topic string, atMS int64)
	Rejected(id string)
}

// TelemetrySink takes telemetry samples; it must never block.
type TelemetrySink interface {
	Write(t event.Telemetry, dev *registry.Device, grid *registry.Grid)
}

// Thresholds judges accepted telemetry against the registry's telemetry
// thresholds and journals the events crossings mean (power.mains_lost,
// battery.low, ...). It waits for the journal only when it journals.
type Thresholds interface {
	Telemetry(ctx context.Context, t event.Telemetry, dev *registry.Device)
}

// Replies takes staff members' actions on alarms.
type Replies interface {
	Reply(ctx context.Context, act event.Action) error
}

// Receipts takes staff phones' confirmations that a page arrived
// ({"action":"received","page_id":…} on R/staff/{id}/reply).
type Receipts interface {
	Received(staffID, pageID string)
}

// Commands takes devices' answers to commands (R/dev/{id}/cmd/ack).
type Commands interface {
	// Ack reports whether the answer matched a command waiting for it.
	Ack(a event.CommandAck) bool
}

// Config wires an Ingestor. Registry, Journal and Devices are required.
type Config struct {
	Topics    wire.Topics
	Registry  func() *registry.Registry
	Journal   Journal
	Devices   Devices
	Telemetry TelemetrySink // nil: telemetry only updates device status
	Replies   Replies       // nil: replies are refused
	Receipts  Receipts      // nil: page receipts are only counted
	Commands  Commands      // nil: command acks are only logged
	Life      Life          // nil: drivers' signs of life only update device status

	// Thresholds, if set, judges every accepted sample that is a sign of
	// life (nil: telemetry raises nothing).
	Thresholds Thresholds

	// Transport labels the metrics ("embedded", "external").
	Transport  string
	MaxPayload int
	// DeviceRate is the messages per second a device may send (events,
	// presence, command answers and telemetry together; panic presses
	// have a budget of their own at the same rate), DeviceBurst how many
	// at once. See flood.go for who is shed first.
	DeviceRate  float64
	DeviceBurst int
	// FloodQuiet is how long a flagged device must stay within its budget
	// before another flood raises device.flooding again (0:
	// DefaultFloodQuiet).
	FloodQuiet   time.Duration
	DedupeWindow time.Duration

	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
}

// Ingestor handles inbound messages. It is safe for concurrent use: each
// MQTT client's messages arrive on their own goroutine.
type Ingestor struct {
	cfg     Config
	log     *ratelog.Limiter
	metrics *metrics
	devs    *deviceTable
	// staff budgets staff members' replies (one phone spewing replies
	// would otherwise drive the alarm store); separate from devs, whose
	// ids are another namespace.
	staff *deviceTable
	// overBudget is the refusal of a message of each class over a
	// device's budget, made once: a flood refuses thousands a second.
	overBudget [classPanic + 1]*event.Reject

	edgeMu sync.Mutex
	edges  map[string]*Edge // by transport
}

// New checks cfg and builds an Ingestor. It starts nothing.
func New(cfg Config) (*Ingestor, error) {
	var errs []error
	if cfg.Registry == nil {
		errs = append(errs, errors.New("ingest: Registry is required"))
	}
	if cfg.Journal == nil {
		errs = append(errs, errors.New("ingest: Journal is required"))
	}
	if cfg.Devices == nil {
		errs = append(errs, errors.New("ingest: Devices is required"))
	}
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = wire.DefaultRoot
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = 64 << 10
	}
	if cfg.DeviceRate <= 0 {
		cfg.DeviceRate = 20
	}
	if cfg.DeviceBurst <= 0 {
		cfg.DeviceBurst = 50
	}
	if cfg.FloodQuiet <= 0 {
		cfg.FloodQuiet = DefaultFloodQuiet
	}
	if cfg.DedupeWindow <= 0 {
		cfg.DedupeWindow = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Transport == "" {
		cfg.Transport = "mqtt"
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m, err := newMetrics(cfg.Registerer, cfg.Transport)
	if err != nil {
		return nil, err
	}
	in := &Ingestor{
		cfg:     cfg,
		log:     ratelog.New(cfg.Logger, 10*time.Second, cfg.Now),
		metrics: m,
		devs:    newDeviceTable(cfg.DeviceRate, cfg.DeviceBurst, cfg.FloodQuiet, cfg.DedupeWindow),
		staff:   newDeviceTable(cfg.DeviceRate, cfg.DeviceBurst, cfg.FloodQuiet, cfg.DedupeWindow),
	}
	for c := range in.overBudget {
		in.overBudget[c] = &event.Reject{Reason: event.RateLimited,
			Err: fmt.Errorf("%s over the device's budget of %g messages/s (burst %d)", class(c), cfg.DeviceRate, cfg.DeviceBurst)}
	}
	return in, nil
}

// Handle takes one message. It returns nil when the message is done with —
// accepted, or refused for good (the transport acknowledges it either way,
// so a device does not resend garbage forever). It returns an error only
// when the message could not be made durable and the transport must not
// acknowledge it, so that the device sends it again.
func (in *Ingestor) Handle(ctx context.Context, topic string, payload []byte) error {
	kind, id := in.cfg.Topics.Parse(topic)
	switch kind {
	case wire.KindOutbound:
		return nil // our own publications (notify, cmd, alarms) echoing back
	case wire.KindUnknown:
		return in.refuse(in.metrics, topic, "", &event.Reject{Reason: event.Malformed, Err: errors.New("topic is not part of the contract")})
	}
	if !wire.ValidID(id) {
		return in.refuse(in.metrics, topic, "", &event.Reject{Reason: event.Malformed, Err: fmt.Errorf("id %q does not match [A-Za-z0-9._-]{1,64}", clipID(id))})
	}
	if len(payload) > in.cfg.MaxPayload {
		return in.refuse(in.metrics, topic, id, &event.Reject{Reason: event.Oversize, Err: fmt.Errorf("payload is %d bytes, limit %d", len(payload), in.cfg.MaxPayload)})
	}
	now := in.cfg.Now()
	nowMS := now.UnixMilli()
	reg := in.cfg.Registry()

	if kind == wire.KindReply {
		return in.reply(ctx, reg, topic, id, payload, now)
	}
	dev, ok := reg.Device(id)
	if !ok {
		in.cfg.Devices.Unregistered(id, topic, nowMS)
		return in.refuse(in.metrics, topic, id, &event.Reject{Reason: event.UnknownDevice, Err: errors.New("device is not in the registry (listed as unregistered)")})
	}
	if kind != wire.KindEvent && in.throttled(ctx, in.metrics, topic, id, classOf(kind, ""), now) {
		return nil // events are budgeted once their type is known
	}
	switch kind {
	case wire.KindEvent:
		return in.event(ctx, topic, id, payload, now)
	case wire.KindTelemetry:
		return in.telemetry(ctx, reg, dev, topic, payload, nowMS)
	case wire.KindState:
		p, err := wire.DecodeState(id, payload, nowMS)
		if err != nil {
			return in.refuse(in.metrics, topic, id, err)
		}
		in.cfg.Devices.Presence(p)
		in.metrics.accepted(kind)
		return nil
	case wire.KindCommandAck:
		ack, err := wire.DecodeCommandAck(id, payload)
		if err != nil {
			return in.refuse(in.metrics, topic, id, err)
		}
		in.cfg.Devices.Seen(id, nowMS)
		in.metrics.accepted(kind)
		matched := in.cfg.Commands != nil && in.cfg.Commands.Ack(ack)
		in.cfg.Logger.Debug("command acknowledged", "device", id, "cid", ack.ID, "ok", ack.OK, "error", ack.Error, "matched", matched)
		return nil
	}
	return nil
}

func (in *Ingestor) event(ctx context.Context, topic, id string, payload []byte, now time.Time) error {
	ev, err := wire.DecodeEvent(id, payload, now.UnixMilli())
	if err != nil {
		return in.refuse(in.metrics, topic, id, err)
	}
	var fp uint64
	if ev.Seq != 0 {
		fp = fingerprint(payload)
	}
	ok, err := in.admit(ctx, in.metrics, topic, event.SourceMQTT, &ev, fp, now)
	if ok {
		in.cfg.Devices.Seen(id, ev.Received)
	}
	return err
}

// admit applies to an event of a registered device the rules every
// transport shares: a type reserved to the gateway's own observations
// (device.offline, device.flooding, stream.restored, ...) is refused
// unless from, the transport the event really arrived on, is the one that
// derives it (event.ReservedFor); then the device's flood budget,
// de-duplication (by seq and fp, the fingerprint of what the device
// sent), then the journal. It reports whether the event was
// accepted (durable); the error is for a journal that could not store it,
// which MQTT turns into a missing acknowledgement.
func (in *Ingestor) admit(ctx context.Context, m *metrics, where string, from event.Source, ev *event.Event, fp uint64, now time.Time) (bool, error) {
	id := ev.Device
	if !event.MaySend(from, ev.Type) {
		return false, in.refuse(m, where, id, &event.Reject{Reason: event.BadType,
			Err: fmt.Errorf("%s is derived by the gateway; a device may not send it over %s", ev.Type, from)})
	}
	if in.throttled(ctx, m, where, id, classOf(wire.KindEvent, ev.Type), now) {
		return false, nil
	}
	st := in.devs.get(id)
	if ev.Seq != 0 && st.seen(ev.Seq, fp, now) {
		return false, in.refuse(m, where, id, &event.Reject{Reason: event.Duplicate, Err: fmt.Errorf("seq %d already accepted", ev.Seq)})
	}
	if err := in.cfg.Journal.Append(ctx, ev); err != nil {
		m.rejected(event.Unavailable)
		in.log.Error("journal:"+where, "event not stored; the device will resend it", "topic", where, "err", err)
		return false, &event.Reject{Reason: event.Unavailable, Device: id, Topic: where, Err: err}
	}
	if ev.Seq != 0 {
		st.remember(ev.Seq, fp, now)
	}
	m.accepted(wire.KindEvent)
	return true, nil
}

func (in *Ingestor) telemetry(ctx context.Context, reg *registry.Registry, dev *registry.Device, topic string, payload []byte, nowMS int64) error {
	tel, err := wire.DecodeTelemetry(dev.ID, payload, nowMS)
	if err != nil {
		return in.refuse(in.metrics, topic, dev.ID, err)
	}
	in.cfg.Devices.Telemetry(tel)
	if in.cfg.Telemetry != nil {
		grid, _ := reg.Grid(dev.Grid)
		in.cfg.Telemetry.Write(tel, dev, grid)
	}
	in.metrics.accepted(wire.KindTelemetry)
	if in.cfg.Thresholds != nil {
		in.cfg.Thresholds.Telemetry(ctx, tel, dev)
	}
	return nil
}

func (in *Ingestor) reply(ctx context.Context, reg *registry.Registry, topic, staff string, payload []byte, now time.Time) error {
	if _, ok := reg.Staff(staff); !ok {
		return in.refuse(in.metrics, topic, "", &event.Reject{Reason: event.UnknownStaff, Err: errors.New("staff member is not in the registry")})
	}
	// A receipt only marks a page delivered (no store write), and a phone
	// confirms every page of a burst: it is not spent from the reply budget,
	// which bounds what drives the alarm store.
	if page, ok, err := wire.DecodeReceipt(payload); ok || err != nil {
		if err != nil {
			return in.refuse(in.metrics, topic, "", err)
		}
		in.metrics.accepted(wire.KindReply)
		if in.cfg.Receipts != nil {
			in.cfg.Receipts.Received(staff, page)
		}
		return nil
	}
	if !in.staff.get(staff).spend(classEvent, now).ok {
		in.metrics.shed(classEvent)
		return in.refuse(in.metrics, topic, "", &event.Reject{Reason: event.RateLimited,
			Err: fmt.Errorf("staff %s: replies over the budget of %g/s (burst %d)", staff, in.cfg.DeviceRate, in.cfg.DeviceBurst)})
	}
	act, err := wire.DecodeReply(staff, payload, now.UnixMilli())
	if err != nil {
		return in.refuse(in.metrics, topic, "", err)
	}
	in.metrics.accepted(wire.KindReply)
	if in.cfg.Replies == nil {
		in.log.Warn("reply:none", "staff reply ignored: no alarm desk", "staff", staff)
		return nil
	}
	if err := in.cfg.Replies.Reply(ctx, act); err != nil {
		in.log.Warn("reply:"+staff, "staff reply refused", "staff", staff, "alarm", act.AlarmID, "action", act.Kind, "err", err)
	}
	return nil
}

// throttled reports whether a message of class c from device id is over
// the device's budget. Such a message is refused (counted, logged at a
// bounded rate); the first refusal of a flood flags the device.
func (in *Ingestor) throttled(ctx context.Context, m *metrics, topic, id string, c class, now time.Time) bool {
	st := in.devs.get(id)
	v := st.spend(c, now)
	if v.ok {
		return false
	}
	m.shed(c)
	if v.raise {
		in.flag(ctx, m, st, id, c, now)
	}
	in.refuse(m, topic, id, in.overBudget[c])
	return true
}

// flag journals device.flooding for a device that began to flood, once
// per episode; the built-in rule device_flooding turns it into an orange
// alarm. If it cannot be journaled the flag is dropped, so that the next
// refusal tries again.
func (in *Ingestor) flag(ctx context.Context, m *metrics, st *deviceState, id string, c class, now time.Time) {
	ev := event.Event{Device: id, Type: event.DeviceFlooding, TS: now.UnixMilli(), Received: now.UnixMilli(),
		Source: event.SourceGateway, Data: map[string]any{
			"class": c.String(), "rate": in.cfg.DeviceRate, "burst": in.cfg.DeviceBurst,
		}}
	if err := in.cfg.Journal.Append(ctx, &ev); err != nil {
		st.unflag()
		in.log.Error("flooding:"+id, "device.flooding not journaled; tried again at the next refusal", "device", id, "err", err)
		return
	}
	m.flagged.Inc()
	in.cfg.Logger.Warn("device flooding: throttled and flagged", "device", id, "class", c.String(),
		"rate", in.cfg.DeviceRate, "burst", in.cfg.DeviceBurst, "event", ev.ID)
}

// refuse counts (in m, the metrics of the input's transport) and logs a
// refusal; the message is done with.
func (in *Ingestor) refuse(m *metrics, topic, dev string, err error) error {
	var rj *event.Reject
	if !errors.As(err, &rj) {
		rj = &event.Reject{Reason: event.Malformed, Err: err}
	}
	m.rejected(rj.Reason)
	if dev != "" {
		in.cfg.Devices.Rejected(dev)
	}
	in.log.Warn(string(rj.Reason)+":"+dev, "message rejected", "reason", rj.Reason, "topic", clipID(topic), "err", rj.Err)
	return nil
}

func clipID(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
