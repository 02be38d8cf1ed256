package thresholds

import (
	"context"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// BenchmarkTelemetry is the cost a light box's sample adds to ingest when
// nothing crosses (the common case): two thresholds judged.
func BenchmarkTelemetry(b *testing.B) {
	f := newFixture(b, "")
	dev, _ := f.reg.Device("lb-default")
	tel := event.Telemetry{Device: dev.ID, TS: f.now.UnixMilli(), Received: f.now.UnixMilli(),
		Fields: map[string]any{"battery_v": 12.6, "mains": true, "temp_c": 31.5, "rssi_dbm": -71.0}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		f.m.Telemetry(ctx, tel, dev)
	}
}

// BenchmarkJournaled is what the thresholds add to the journal's commit
// path for a batch of events of other types.
func BenchmarkJournaled(b *testing.B) {
	f := newFixture(b, "")
	batch := []event.Event{{ID: 1, Device: "lb-default", Type: event.ButtonPressed}, {ID: 2, Device: "lb-fast", Type: event.Motion}}
	b.ReportAllocs()
	for b.Loop() {
		f.m.Journaled(batch)
	}
}
