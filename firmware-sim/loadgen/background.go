package loadgen

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
)

// pace is how often a background publisher catches up with its rate.
const pace = 5 * time.Millisecond

// background publishes QoS 0 telemetry for devs, round robin, at rate
// messages per second, until ctx ends. It never bursts more than 100 ms of
// backlog after a stall. sent counts what was handed to the client.
func background(ctx context.Context, c paho.Client, topics wire.Topics, devs []string, rate float64, sent *atomic.Int64) {
	if rate <= 0 || len(devs) == 0 {
		return
	}
	start := time.Now()
	maxBacklog := max(1, int64(rate/10))
	var done int64
	next := 0
	tick := time.NewTicker(pace)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			target := int64(rate * now.Sub(start).Seconds())
			if target-done > maxBacklog {
				done = target - maxBacklog
			}
			for ; done < target && ctx.Err() == nil; done++ {
				d := devs[next]
				next = (next + 1) % len(devs)
				payload := fmt.Appendf(nil, `{"ts":%d,"battery_v":13.4,"mains":true,"temp_c":%.1f,"rssi_dbm":-71}`,
					time.Now().UnixMilli(), 20+float64(done%100)/10)
				if tok := c.Publish(topics.Telemetry(d), 0, false, payload); tok.Error() == nil {
					sent.Add(1)
				}
			}
		}
	}
}
