package mqttlink

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// BenchmarkDrain measures how fast the link drains QoS 1 events the broker
// has queued for it — the rate that decides whether one flooding device
// can fill Mosquitto's queue toward the gateway. The events are queued
// while the link is away (its session is persistent), so the figure is the
// link's and the broker's, not the publisher's. The handler refuses
// everything at once, as ingest does with a flood over a device's budget.
//
//	go test -run '^$' -bench Drain -benchtime 3x ./gateway/mqttlink
func BenchmarkDrain(b *testing.B) {
	const queued = 20_000
	mq := testsvc.Mosquitto(b)
	topics := wire.Topics{Root: wire.DefaultRoot}
	id := "gw-drain-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	dataDir := b.TempDir()
	var handled atomic.Int64
	run := func() (stop func()) {
		l, err := New(Config{URL: mq.URL, ClientID: id, Topics: topics, DataDir: dataDir,
			Handler: handlerFunc(func(context.Context, string, []byte) error { handled.Add(1); return nil })})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); l.Run(ctx) }()
		testsvc.Eventually(b, patience, "link up", func() bool { return l.Ready() == nil })
		return func() { cancel(); <-done }
	}
	run()() // the broker now keeps the link's session while it is away
	flooder := device(b, mq.URL, "lb-0003")
	var rate float64
	for b.Loop() {
		handled.Store(0)
		for i := range queued {
			tok := flooder.Publish(topics.Event("lb-0003"), 1, false, fmt.Appendf(nil, `{"type":"motion","seq":%d}`, i+1))
			if i%1000 == 999 {
				tok.WaitTimeout(patience)
			}
		}
		t0 := time.Now()
		stop := run()
		testsvc.Eventually(b, patience, "the queue drained", func() bool { return handled.Load() >= queued })
		rate = queued / time.Since(t0).Seconds()
		stop()
	}
	b.ReportMetric(rate, "msgs/s")
}
