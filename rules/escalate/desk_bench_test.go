package escalate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// fsyncLedger is a page tracker whose Sync costs what the delivery
// ledger's does: one write and fsync of a file.
type fsyncLedger struct {
	f     *os.File
	first chan time.Time // the first page of each raise, when it went out
	last  string
}

func (l *fsyncLedger) Notify(_ context.Context, _ string, n event.Notification) error {
	if n.AlarmID != l.last { // called on the desk goroutine only
		l.last = n.AlarmID
		l.first <- time.Now()
	}
	return nil
}

func (l *fsyncLedger) Sync(context.Context) error {
	if _, err := l.f.Write([]byte("page\n")); err != nil {
		return err
	}
	return l.f.Sync()
}

func (l *fsyncLedger) AlarmClosed(string) {}

// BenchmarkPressToFirstPage is the desk's share of a press's way to the
// first phone, on a real alarm store (bbolt, fsync) and a ledger that
// fsyncs: each op submits one press and waits for its first page; the
// press also clears the alarm of the press before, so every op raises a
// new alarm and stores two changes. page-p50-µs and page-p99-µs are the
// submit → first page latencies. Presses come one after another, so a
// desk that stored in its loop made each wait for the store of the one
// before. Run it on the disk the gateway uses (TMPDIR).
func BenchmarkPressToFirstPage(b *testing.B) {
	dir := b.TempDir()
	f, err := os.Create(filepath.Join(dir, "pages"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	reg, err := registry.Parse("site.yaml", []byte(site))
	if err != nil {
		b.Fatal(err)
	}
	st, err := alarm.OpenStore(filepath.Join(dir, "alarms.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ledger := &fsyncLedger{f: f, first: make(chan time.Time, 1)}
	d, err := New(Config{Registry: func() *registry.Registry { return reg }, Notifier: ledger, Store: st})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- d.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			b.Error(err)
		}
	}()
	<-d.Ready()

	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		now := time.Now().UnixMilli()
		ev := event.Event{ID: uint64(i + 1), Device: "lb-0001", Type: event.ButtonPressed, TS: now, Received: now, Source: event.SourceMQTT}
		triggers := []event.Trigger{{Rule: "panic-" + strconv.Itoa(i), Severity: event.Red, Device: "lb-0001", Event: ev}}
		if i > 0 {
			triggers = append(triggers, event.Trigger{Rule: "panic-" + strconv.Itoa(i-1), Device: "lb-0001", Clear: true, Event: ev})
		}
		t0 := time.Now()
		if err := d.Submit(ctx, ev, triggers); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-ledger.first).Sub(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "page-p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "page-p99-µs")
}
