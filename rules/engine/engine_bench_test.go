package engine

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
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
func rules1000() []rulefile.Rule {
	kinds := []registry.Kind{registry.Lightbox, registry.Camera, registry.IO}
	rules := make([]rulefile.Rule, 0, 1000)
	for i := range 1000 {
		r := rulefile.Rule{ID: "r" + strconv.Itoa(i), Types: []string{"t" + strconv.Itoa(i%250)}, Severity: event.Blue, Title: "{{device}} x"}
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

// mixed is the workload of BenchmarkMixed20kDevices: the built-in rules
// (with their supervision of every device) plus 200 stateful rules: 100
// counts, 96 sequences and 4 per-kind supervision rules, over events from
// 20,000 devices each speaking every 10 s of event time.
type mixed struct {
	e     *Engine
	devs  []*registry.Device
	types []string
	start int64
}

func newMixed(t testing.TB) *mixed {
	rules := rulefile.Builtin()
	kinds := []registry.Kind{registry.Lightbox, registry.Camera, registry.Reader, registry.IO}
	for i := range 200 {
		id := "s" + strconv.Itoa(i)
		typ := "vendor.e" + strconv.Itoa(i%20)
		switch {
		case i < 100:
			rules = append(rules, rulefile.Rule{ID: id, Types: []string{typ}, Severity: event.Orange, Title: "{{device}}",
				Count: &rulefile.Count{AtLeast: 5, Within: rulefile.Duration(time.Minute)}})
		case i < 196:
			rules = append(rules, rulefile.Rule{ID: id, Types: []string{typ}, Severity: event.Red, Title: "{{device}}",
				Sequence: &rulefile.Sequence{Then: []string{"vendor.z" + strconv.Itoa(i%20)}, Within: rulefile.Duration(30 * time.Second)}})
		default:
			rules = append(rules, rulefile.Rule{ID: id, Kinds: []registry.Kind{kinds[i%4]}, Absence: &rulefile.Absence{Factor: 1.5}})
		}
	}
	e, err := New(rules)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20_000
	devs := make([]*registry.Device, n)
	for i := range devs {
		devs[i] = &registry.Device{ID: "dev-" + strconv.Itoa(i), Kind: kinds[i%4], Grid: "g", Heartbeat: 10 * time.Second}
	}
	return &mixed{e: e, devs: devs, start: t0.UnixMilli(),
		types: []string{event.AccessGranted, event.Motion, event.AccessDenied, "vendor.e1", "vendor.e2", "vendor.z1", event.BatteryLow}}
}

// event i of the stream: 2,000 events per second.
func (m *mixed) event(i int) (event.Event, *registry.Device) {
	dev := m.devs[i%len(m.devs)]
	return event.Event{Device: dev.ID, Type: m.types[(i/len(m.devs)+i)%len(m.types)], Received: m.start + int64(i)/2}, dev
}

// tick runs Tick every 1,000 events (a quarter second).
func (m *mixed) tick(t testing.TB, i int) {
	if i%1000 != 0 {
		return
	}
	for _, d := range m.e.Tick(time.UnixMilli(m.start + int64(i)/2)) {
		t.Fatalf("a device speaking every heartbeat was declared %s", d.Type)
	}
}

// BenchmarkMixed20kDevices runs the mixed workload with Tick every 1,000
// events.
func BenchmarkMixed20kDevices(b *testing.B) {
	m := newMixed(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ev, dev := m.event(i)
		_ = m.e.Evaluate(&ev, dev, nil)
		i++
		m.tick(b, i)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// TestDecisionLatency prints the distribution of the time one Evaluate
// takes on the mixed workload (and of Tick, amortised over 1,000
// events). It measures; it asserts nothing about speed, and runs only
// with GRIDWATCH_BENCH=1:
//
//	GRIDWATCH_BENCH=1 go test -run TestDecisionLatency -v -cpu 1 ./rules/engine
func TestDecisionLatency(t *testing.T) {
	if os.Getenv("GRIDWATCH_BENCH") != "1" {
		t.Skip("a measurement: set GRIDWATCH_BENCH=1")
	}
	m := newMixed(t)
	const warm, n = 200_000, 1_000_000
	for i := range warm {
		ev, dev := m.event(i)
		m.e.Evaluate(&ev, dev, nil)
		m.tick(t, i+1)
	}
	evals := make([]time.Duration, 0, n)
	var ticks []time.Duration
	for i := warm; i < warm+n; i++ {
		ev, dev := m.event(i)
		start := time.Now()
		m.e.Evaluate(&ev, dev, nil)
		evals = append(evals, time.Since(start))
		if (i+1)%1000 == 0 {
			start = time.Now()
			m.tick(t, i+1)
			ticks = append(ticks, time.Since(start))
		}
	}
	pct := func(d []time.Duration, p float64) time.Duration {
		return d[min(len(d)-1, int(float64(len(d))*p))]
	}
	slices.Sort(evals)
	slices.Sort(ticks)
	t.Logf("Evaluate over %d events: p50 %v p90 %v p99 %v p99.9 %v max %v", n,
		pct(evals, .5), pct(evals, .9), pct(evals, .99), pct(evals, .999), evals[len(evals)-1])
	t.Logf("Tick every 1,000 events (%d): p50 %v p99 %v max %v", len(ticks), pct(ticks, .5), pct(ticks, .99), ticks[len(ticks)-1])
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
		e, err := New([]rulefile.Rule{{ID: "c", Types: []string{event.AccessDenied}, Severity: event.Orange, Title: "t",
			Count: &rulefile.Count{AtLeast: 5, Within: rulefile.Duration(time.Minute)}}})
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
