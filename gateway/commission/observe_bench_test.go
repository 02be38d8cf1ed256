package commission

import (
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// BenchmarkObserve is the cost ingest pays per message: with no live
// session, and for a device in one (progress written at most once a
// second, without fsync).
func BenchmarkObserve(b *testing.B) {
	for _, live := range []bool{false, true} {
		name := map[bool]string{false: "no-session", true: "in-session"}[live]
		b.Run(name, func(b *testing.B) {
			r := newRig(b)
			if live {
				if _, err := r.svc.Start(Request{Devices: []string{"lb-0001"}, Duration: time.Hour}, permit.Console); err != nil {
					b.Fatal(err)
				}
			}
			tel := event.Telemetry{Device: "lb-0001", Fields: map[string]any{"battery_v": 13.1, "rssi_dbm": -70.0}}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				tel.Received = r.ms(time.Duration(i) * time.Millisecond)
				r.svc.Seen("lb-0001", tel.Received)
				r.svc.Telemetry(tel)
			}
		})
	}
}
