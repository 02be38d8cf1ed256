package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/edge"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Life takes signs of life that are not events, such as a device
// answering its bus's polls: the rules' supervision of silent devices
// watches them.
type Life interface {
	Alive(id string, at time.Time)
}

// Driver transports: the transport label of what drivers report through
// an Edge. MQTT keeps its own labels (embedded, external).
// Each is its drivers' event.Source, which judges the event types
// reserved to them (event.ReservedFor).
const (
	TransportOSDP   = string(event.SourceOSDP)
	TransportModbus = string(event.SourceModbus)
	TransportRTP    = string(event.SourceRTP)
)

// Edge is the door of one driver transport (osdp, modbus, rtp, …) into the
// gateway. What a driver reports meets the rules an MQTT message meets —
// the registry, the device's flood budget (shared with whatever else the
// device sends), de-duplication of events that carry a seq, the journal
// before anything counts as accepted — and is counted in the same
// gridwatch_ingest_* metrics under the Edge's transport label.
type Edge struct {
	in        *Ingestor
	transport string
	m         *metrics
}

var _ edge.Sink = (*Edge)(nil)

// Edge returns the Sink for drivers of transport, registering its metrics
// on first use; every call for the same transport returns the same Edge.
func (in *Ingestor) Edge(transport string) (*Edge, error) {
	in.edgeMu.Lock()
	defer in.edgeMu.Unlock()
	if e, ok := in.edges[transport]; ok {
		return e, nil
	}
	if transport == "" || transport == in.cfg.Transport {
		return nil, fmt.Errorf("ingest: edge transport %q: empty, or the MQTT transport's", transport)
	}
	m, err := newMetrics(in.cfg.Registerer, transport)
	if err != nil {
		return nil, fmt.Errorf("ingest: edge %s: %w", transport, err)
	}
	e := &Edge{in: in, transport: transport, m: m}
	if in.edges == nil {
		in.edges = map[string]*Edge{}
	}
	in.edges[transport] = e
	return e, nil
}

// Event journals ev if it passes. It never fails the driver: a refusal is
// counted and logged. The journal is not given the driver's context: an
// event a driver heard while the gateway stops is still made durable (the
// inputs stop before the journal closes).
func (e *Edge) Event(ev event.Event) {
	in := e.in
	now := in.cfg.Now()
	if ev.Received == 0 {
		ev.Received = now.UnixMilli()
	}
	if ev.TS == 0 {
		ev.TS = ev.Received
	}
	where := e.transport + ":" + ev.Device
	if !e.registered(where, ev.Device) {
		return
	}
	if !wire.ValidType(ev.Type) {
		in.refuse(e.m, where, ev.Device, &event.Reject{Reason: event.BadType, Err: fmt.Errorf("type %q is not a dotted lower-case event type", clipID(ev.Type))})
		return
	}
	var fp uint64
	if ev.Seq != 0 {
		fp = eventFingerprint(ev)
	}
	// Whose event it may be is judged by the edge it came through, not by
	// the Source the driver wrote in it.
	_, _ = in.admit(context.Background(), e.m, where, event.Source(e.transport), &ev, fp, now) // a refusal is counted and logged
}

// Telemetry takes a sample within the device's budget (telemetry is shed
// first); with Received set it is a sign of life, updates the device's
// status and is judged against its telemetry thresholds, and it goes to
// history either way.
func (e *Edge) Telemetry(t event.Telemetry) {
	in := e.in
	now := in.cfg.Now()
	where := e.transport + ":" + t.Device
	if !e.registered(where, t.Device) || in.throttled(context.Background(), e.m, where, t.Device, classTelemetry, now) {
		return
	}
	if t.TS == 0 {
		t.TS = now.UnixMilli()
	}
	if t.Received != 0 {
		in.cfg.Devices.Telemetry(t)
	}
	reg := in.cfg.Registry()
	dev, ok := reg.Device(t.Device)
	if in.cfg.Telemetry != nil && ok {
		grid, _ := reg.Grid(dev.Grid)
		in.cfg.Telemetry.Write(t, dev, grid)
	}
	e.m.accepted(wire.KindTelemetry)
	// A sample that sums up nothing new (Received 0) is history only.
	if in.cfg.Thresholds != nil && ok && t.Received != 0 {
		in.cfg.Thresholds.Telemetry(context.Background(), t, dev)
	}
}

// Alive records that a registered device showed life: its status, and
// the rules' supervision. It is the gateway's own observation at a
// bounded rate, so it is not budgeted.
func (e *Edge) Alive(device string, at time.Time) {
	in := e.in
	if _, ok := in.cfg.Registry().Device(device); !ok || at.IsZero() {
		return
	}
	in.cfg.Devices.Seen(device, at.UnixMilli())
	if in.cfg.Life != nil {
		in.cfg.Life.Alive(device, at)
	}
}

// registered refuses a device the registry does not list (any more: a
// driver's devices are those of the registry at start).
func (e *Edge) registered(where, device string) bool {
	if _, ok := e.in.cfg.Registry().Device(device); ok {
		return true
	}
	e.in.refuse(e.m, where, "", &event.Reject{Reason: event.UnknownDevice, Err: errors.New("device is not in the registry")})
	return false
}

// eventFingerprint is what the de-duplication compares an event by, next
// to its seq: what the device said (type, time, data), not when the
// gateway heard it.
func eventFingerprint(ev event.Event) uint64 {
	h := fnv.New64a()
	b, err := json.Marshal(struct {
		Type string         `json:"type"`
		TS   int64          `json:"ts"`
		Data map[string]any `json:"data"`
	}{ev.Type, ev.TS, ev.Data})
	if err != nil { // data a driver made that JSON cannot hold: compare by type and time
		b = fmt.Appendf(nil, "%s %d", ev.Type, ev.TS)
	}
	h.Write(b)
	return h.Sum64()
}
