package runner

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// BenchmarkBatchToDesk runs the alarm path from the journal to the
// escalation desk on real parts (journal, built-in rules, desk, alarm
// store), with events as device connections send them (cards granted,
// doors closed, tamper switches closed, and a press every 1,024 events).
// ack-µs is how long an Append took on average, ack-p99-µs its 99th
// percentile: what a device's PUBACK waits for. Run it on the disk the gateway uses (TMPDIR).
//
//   - parallel: 16 appenders per CPU; the op ends when the desk has stored
//     every event (throughput).
//   - one: a single appender; each op ends when the rules have handed its
//     event to the desk (an event's way from the connection to the desk).
func BenchmarkBatchToDesk(b *testing.B) {
	b.Run("parallel", func(b *testing.B) {
		r := startRig(b, b.TempDir())
		defer r.stop(true)
		var n atomic.Int64
		var mu sync.Mutex
		var acks []time.Duration
		b.SetParallelism(16)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			defer func() { mu.Lock(); acks = append(acks, mine...); mu.Unlock() }()
			for pb.Next() {
				t0 := time.Now()
				if _, err := r.appendNth(n.Add(1)); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
		})
		last := r.journal.LastID()
		testsvc.Eventually(b, time.Minute, "the desk stores every event", func() bool { return r.desk.Checkpoint() >= last })
		b.StopTimer()
		reportAcks(b, acks)
	})
	b.Run("one", func(b *testing.B) {
		r := startRig(b, b.TempDir())
		defer r.stop(true)
		var ackNS int64
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			t0 := time.Now()
			id, err := r.appendNth(int64(i))
			if err != nil {
				b.Fatal(err)
			}
			ackNS += int64(time.Since(t0))
			for r.handedOver() < id {
				runtime.Gosched()
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(ackNS)/float64(b.N)/1e3, "ack-µs")
	})
}

// appendNth journals the bench's i-th event and returns its ID.
func (r *rig) appendNth(i int64) (uint64, error) {
	kinds := [...]struct{ device, typ string }{
		{"rd-0001", event.AccessGranted}, {"rd-0001", event.DoorClosed}, {"lb-0001", event.TamperClosed}}
	k := kinds[i%int64(len(kinds))]
	if i%1024 == 0 {
		k.device, k.typ = "lb-0001", event.ButtonPressed
	}
	now := time.Now().UnixMilli()
	ev := event.Event{Device: k.device, Type: k.typ, TS: now, Received: now, Seq: i, Source: event.SourceMQTT}
	err := r.journal.Append(context.Background(), &ev)
	return ev.ID, err
}

// handedOver is the last event the rules handed to the desk.
func (r *rig) handedOver() uint64 { return r.run.Applied() }

// reportAcks reports the mean and the 99th percentile of the Append times.
func reportAcks(b *testing.B, acks []time.Duration) {
	if len(acks) == 0 {
		return
	}
	slices.Sort(acks)
	var sum time.Duration
	for _, d := range acks {
		sum += d
	}
	b.ReportMetric(float64(sum.Microseconds())/float64(len(acks)), "ack-µs")
	b.ReportMetric(float64(acks[len(acks)*99/100].Microseconds()), "ack-p99-µs")
}
