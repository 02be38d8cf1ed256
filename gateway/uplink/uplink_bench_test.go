package uplink

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// BenchmarkOutboxAppend is the writer's cost per batch of one alarm
// record (a bbolt transaction with its fsync).
func BenchmarkOutboxAppend(b *testing.B) {
	o, err := openOutbox(filepath.Join(b.TempDir(), "o.db"), testSite, 0, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	defer o.close()
	rec := func() countywire.Record {
		r := countywire.Record{Kind: countywire.KindAlarm, AtMS: 1}
		a := lifecycle("A1", 3)
		state, _ := json.Marshal(a)
		r.Alarm = &countywire.Alarm{Step: "ack", State: state}
		return r
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := o.appendRecords([]countywire.Record{rec()}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBacklogDrain is the time per record to send a backlog left by
// an outage to a real Mosquitto once the link is back (ns/op = per
// record, broker acknowledgement included).
func BenchmarkBacklogDrain(b *testing.B) {
	mq := testsvc.Mosquitto(b)
	px := testsvc.NewProxy(b, mq.Addr)
	px.Cut()
	u, err := Open(Config{URL: px.URL, County: testCounty, Site: testSite, ClientID: "bench", Path: filepath.Join(b.TempDir(), "u.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer u.Close()
	for i := range b.N {
		u.Alarm(lifecycle("A"+string(rune('a'+i%26))+time.Duration(i).String(), 1))
	}
	if !u.flush() {
		b.Fatal("not stored")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = u.Run(ctx) }()
	b.ResetTimer()
	px.Restore()
	for {
		if n, _, _ := u.box.backlog(); n == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-done
}
