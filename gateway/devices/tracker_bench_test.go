package devices

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

// The hot path: a county's 20,000 devices heart-beating from many ingest
// goroutines at once.
func BenchmarkSeenParallel(b *testing.B) {
	ids := make([]string, 20000)
	for i := range ids {
		ids[i] = fmt.Sprintf("lb-%05d", i)
	}
	tr := New(registry.NewHolder(site(b, ids...)).Get, func(Status) {})
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			tr.Seen(ids[n%int64(len(ids))], n)
		}
	})
}

func BenchmarkTelemetryParallel(b *testing.B) {
	ids := make([]string, 20000)
	for i := range ids {
		ids[i] = fmt.Sprintf("lb-%05d", i)
	}
	tr := New(registry.NewHolder(site(b, ids...)).Get, func(Status) {})
	fields := map[string]any{"battery_v": 12.4, "mains": true}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			tr.Telemetry(event.Telemetry{Device: ids[n%int64(len(ids))], TS: n, Received: n, Fields: fields})
		}
	})
}
