package engine

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

func BenchmarkEvaluateNoMatch(b *testing.B) {
	e := builtin(b)
	ev := event.Event{Device: "rd-0001", Type: event.AccessGranted}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.Evaluate(&ev, reader, testGrid)
	}
}

func BenchmarkEvaluatePanic(b *testing.B) {
	e := builtin(b)
	ev := event.Event{Device: "lb-0001", Type: event.ButtonPressed}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.Evaluate(&ev, lightbox, testGrid)
	}
}

// rules1000 is 1,000 stateless rules: 600 on exact types limited by kind,
// 300 limited to one device, 100 with a when: condition.
func rules1000() []Rule {
	kinds := []registry.Kind{registry.Lightbox, registry.Camera, registry.IO}
	rules := make([]Rule, 0, 1000)
	for i := range 1000 {
		r := Rule{ID: "r" + strconv.Itoa(i), Types: []string{"t" + strconv.Itoa(i%250)}, Severity: event.Blue, Title: "{{device}} x"}
		switch {
		case i < 600:
			r.Kinds = []registry.Kind{kinds[i%3]}
		case i < 900:
			r.Devices = []string{"cam-" + strconv.Itoa(i)}
		default:
			r.When = `device.kind == "camera" && data.score > 0.9`
		}
		rules = append(rules, r)
	}
	return rules
}

// BenchmarkStateless1000Rules matches a stream of events against 1,000
// rules; none fires (the reader is not a kind, device or condition any
// rule wants), which is the steady state of a gateway: every rule indexed
// under the event's type is checked.
func BenchmarkStateless1000Rules(b *testing.B) {
	e, err := New(rules1000())
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]event.Event, 300)
	for i := range evs {
		evs[i] = event.Event{Device: "rd-0001", Type: "t" + strconv.Itoa(i), Data: map[string]any{"score": 0.5}}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if out := e.Evaluate(&evs[i%len(evs)], reader, testGrid); out != nil {
			b.Fatal("fired")
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkMixed20kDevices runs the built-in rules (with their
// supervision of every device) plus 200 stateful rules: 100 counts, 96
// sequences and 4 per-kind supervision rules, over events from 20,000
// devices each speaking every 10 s of event time, with Tick every 1,000
// events (a quarter second).
func BenchmarkMixed20kDevices(b *testing.B) {
	rules := Builtin()
	kinds := []registry.Kind{registry.Lightbox, registry.Camera, registry.Reader, registry.IO}
	for i := range 200 {
		id := "s" + strconv.Itoa(i)
		typ := "vendor.e" + strconv.Itoa(i%20)
		switch {
		case i < 100:
			rules = append(rules, Rule{ID: id, Types: []string{typ}, Severity: event.Orange, Title: "{{device}}",
				Count: &Count{AtLeast: 5, Within: Duration(time.Minute)}})
		case i < 196:
			rules = append(rules, Rule{ID: id, Types: []string{typ}, Severity: event.Red, Title: "{{device}}",
				Sequence: &Sequence{Then: []string{"vendor.z" + strconv.Itoa(i%20)}, Within: Duration(30 * time.Second)}})
		default:
			rules = append(rules, Rule{ID: id, Kinds: []registry.Kind{kinds[i%4]}, Absence: &Absence{Factor: 1.5}})
		}
	}
	e, err := New(rules)
	if err != nil {
		b.Fatal(err)
	}
	const n = 20_000
	devs := make([]*registry.Device, n)
	for i := range devs {
		devs[i] = &registry.Device{ID: "dev-" + strconv.Itoa(i), Kind: kinds[i%4], Grid: "g", Heartbeat: 10 * time.Second}
	}
	types := []string{event.AccessGranted, event.Motion, event.AccessDenied, "vendor.e1", "vendor.e2", "vendor.z1", event.BatteryLow}
	start := t0.UnixMilli()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dev := devs[i%n]
		now := start + int64(i)/2 // 2,000 events per second: each device every 10 s
		ev := event.Event{Device: dev.ID, Type: types[(i/n+i)%len(types)], Received: now}
		_ = e.Evaluate(&ev, dev, nil)
		i++
		if i%1000 == 0 {
			for _, d := range e.Tick(time.UnixMilli(now)) {
				b.Fatalf("a device speaking every heartbeat was declared %s", d.Type)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkMemory100kKeys measures the heap held by 100,000 count
// windows of five events each (the denied-card rule over 100k readers).
func BenchmarkMemory100kKeys(b *testing.B) {
	keys := make([]string, 100_000)
	for i := range keys {
		keys[i] = "rd-" + strconv.Itoa(i)
	}
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		e, err := New([]Rule{{ID: "c", Types: []string{event.AccessDenied}, Severity: event.Orange, Title: "t",
			Count: &Count{AtLeast: 5, Within: Duration(time.Minute)}}})
		if err != nil {
			b.Fatal(err)
		}
		for j, k := range keys {
			for n := range 4 {
				ev := event.Event{Device: k, Type: event.AccessDenied, Received: int64(j + n)}
				_ = e.Evaluate(&ev, nil, nil)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if e.Stats().Keys != len(keys) {
			b.Fatalf("%d keys", e.Stats().Keys)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB")
		runtime.KeepAlive(e)
	}
}
