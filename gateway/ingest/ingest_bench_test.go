package ingest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// nopJournal stands in for the journal so the benchmark measures ingest alone.
type nopJournal struct{}

func (nopJournal) Append(_ context.Context, ev *event.Event) error { ev.ID = 1; return nil }

type nopDevices struct{}

func (nopDevices) Seen(string, int64)                                        {}
func (nopDevices) Telemetry(event.Telemetry)                                 {}
func (nopDevices) Presence(event.Presence)                                   {}
func (nopDevices) Unregistered(string, string, int64)                        {}
func (nopDevices) Rejected(string)                                           {}
func (nopTelemetry) Write(event.Telemetry, *registry.Device, *registry.Grid) {}

type nopTelemetry struct{}

func benchIngestor(b *testing.B) *Ingestor {
	b.Helper()
	reg, err := registry.Parse("bench.yaml", []byte(testRegistry))
	if err != nil {
		b.Fatal(err)
	}
	in, err := New(Config{
		Topics: wire.Topics{Root: wire.DefaultRoot}, Registry: func() *registry.Registry { return reg },
		Journal: nopJournal{}, Devices: nopDevices{}, Telemetry: nopTelemetry{},
		DeviceRate: 1e9, DeviceBurst: 1e9, DedupeWindow: time.Nanosecond, Registerer: prometheus.NewRegistry(),
	})
	if err != nil {
		b.Fatal(err)
	}
	return in
}

// BenchmarkHandleTelemetry is the cost of one telemetry message, the bulk
// of a county's traffic (20,000 devices every 10 s = 2,000/s).
func BenchmarkHandleTelemetry(b *testing.B) {
	in := benchIngestor(b)
	topic := wire.Topics{Root: wire.DefaultRoot}.Telemetry("lb-1")
	payload := []byte(`{"ts":1732345678123,"battery_v":12.4,"mains":true,"temp_c":31.5,"rssi_dbm":-71}`)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := in.Handle(ctx, topic, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandleEvent is one event up to (not including) the journal's
// fsync: decode, registry check, flood budget, duplicate check.
func BenchmarkHandleEvent(b *testing.B) {
	in := benchIngestor(b)
	topic := wire.Topics{Root: wire.DefaultRoot}.Event("lb-1")
	ctx := context.Background()
	payloads := make([][]byte, 1024)
	for i := range payloads {
		payloads[i] = fmt.Appendf(nil, `{"type":"button.pressed","ts":%d,"seq":%d}`, time.Now().UnixMilli(), i+1)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := in.Handle(ctx, topic, payloads[i%len(payloads)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkEdgeEvent is one event a driver reports, up to the journal:
// registry check, type check, flood budget (no seq: serial and RTP events
// carry none, so no fingerprint either).
func BenchmarkEdgeEvent(b *testing.B) {
	in := benchIngestor(b)
	e, err := in.Edge(TransportOSDP)
	if err != nil {
		b.Fatal(err)
	}
	ev := event.Event{Device: "lb-1", Type: "card.read", Source: event.SourceOSDP,
		Data: map[string]any{"card": "41551", "facility": 68, "bits": 26}}
	b.ReportAllocs()
	for b.Loop() {
		e.Event(ev)
	}
}
