package runner

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// BenchmarkBatchToDesk runs the alarm path from the journal to the
// escalation desk on real parts (journal, built-in rules, desk, alarm
// store): 16 appenders per CPU append events as device connections do
// (cards granted, doors closed, tamper switches closed, and a press every
// 1,024 events), and the op ends when the desk has stored every event.
// append-µs is how long an Append took on average: what a device's PUBACK
// waits for. Run it on the disk the gateway uses (TMPDIR).
func BenchmarkBatchToDesk(b *testing.B) {
	r := startRig(b, b.TempDir())
	defer r.stop(true)
	types := []struct{ device, typ string }{
		{"rd-0001", event.AccessGranted}, {"rd-0001", event.DoorClosed}, {"lb-0001", event.TamperClosed}}
	var appendNS atomic.Int64
	var n atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			ty := types[i%int64(len(types))]
			if i%1024 == 0 {
				ty.device, ty.typ = "lb-0001", event.ButtonPressed
			}
			now := time.Now()
			ev := event.Event{Device: ty.device, Type: ty.typ, TS: now.UnixMilli(), Received: now.UnixMilli(), Seq: i, Source: event.SourceMQTT}
			if err := r.journal.Append(context.Background(), &ev); err != nil {
				b.Error(err)
				return
			}
			appendNS.Add(int64(time.Since(now)))
		}
	})
	last := r.journal.LastID()
	testsvc.Eventually(b, time.Minute, "the desk stores every event", func() bool { return r.desk.Checkpoint() >= last })
	b.StopTimer()
	b.ReportMetric(float64(appendNS.Load())/float64(b.N)/1e3, "append-µs")
}
