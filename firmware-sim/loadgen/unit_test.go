package loadgen

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"none", nil, 99, 0},
		{"one", ms(7), 50, 7 * time.Millisecond},
		{"p50 of 100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p90 of 100", ms(hundred...), 90, 90 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"max", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of 10 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p0 is the min", ms(3, 1, 2), 0, time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.samples, tc.p); got != tc.want {
				t.Fatalf("Percentile(p%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  bool
	}{
		{"10/s", 10, false}, {"5000", 5000, false}, {"600/m", 10, false}, {"36/h", 0.01, false},
		{"0", 0, false}, {" 2.5 / s ", 2.5, false},
		{"", 0, true}, {"fast", 0, true}, {"-1/s", 0, true}, {"10/d", 0, true}, {"NaN", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRate(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("ParseRate(%q) = %v, %v", tc.in, got, err)
			}
		})
	}
}

func TestResultText(t *testing.T) {
	r := Result{Presses: 300, Paged: 299, Lost: 1, PressRate: 10, P50: 1.234, P90: 2, P99: 4.5, Max: 12.345,
		Background: 150000, BackgroundRate: 4999.94, BgDevices: 200, Lightboxes: 50, Phones: 3, Seconds: 30}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"presses    300 (10.00/s)  paged 299  lost 1  joined 0", "p50 1.23  p90 2.00  p99 4.50  max 12.35", "150000 msgs  4999.9/s  over 200 devices"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, b.String())
		}
	}
}

func TestTrackerCycle(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tr := newTracker([]string{"a", "b"}, 5*time.Second, false)
	page := func(box, alarm string, at time.Time) bool {
		return tr.paged(event.Notification{AlarmID: alarm, Device: box}, at)
	}

	if box, _ := tr.press(t0); box != "a" {
		t.Fatalf("first press on %s, want a", box)
	}
	if box, _ := tr.press(t0); box != "b" {
		t.Fatalf("second press on %s, want b", box)
	}
	if _, ok := tr.press(t0); ok {
		t.Fatal("pressed a box whose alarm is not closed")
	}
	if !page("a", "x1", t0.Add(3*time.Millisecond)) {
		t.Fatal("first page of a new alarm should be resolved")
	}
	if page("a", "x1", t0.Add(4*time.Millisecond)) {
		t.Fatal("a second phone's copy of the same alarm resolved again")
	}
	if page("zz", "x9", t0) {
		t.Fatal("an alarm of a box not in the bench was resolved")
	}
	if _, ok := tr.press(t0); ok {
		t.Fatal("a is paged but its alarm is not closed yet")
	}
	tr.closed("x1")
	if box, ok := tr.press(t0.Add(time.Second)); !ok || box != "a" {
		t.Fatalf("after close: %s %v, want a", box, ok)
	}

	// b is never paged: lost after 5 s, and never pressed again.
	tr.sweep(t0.Add(5 * time.Second))
	if tr.waiting() != 2 {
		t.Fatalf("swept too early: %d waiting", tr.waiting())
	}
	tr.sweep(t0.Add(5*time.Second + time.Millisecond))
	if tr.waiting() != 1 {
		t.Fatalf("%d waiting, want a only", tr.waiting())
	}
	// a is paged but its close never comes: freed after 5 s, counted.
	page("a", "x2", t0.Add(2*time.Second))
	tr.sweep(t0.Add(7*time.Second + time.Millisecond))
	if box, ok := tr.press(t0.Add(8 * time.Second)); !ok || box != "a" {
		t.Fatalf("after an unclosed alarm: %s %v, want a", box, ok)
	}
	var r Result
	tr.fill(&r)
	if r.Presses != 4 || r.Paged != 2 || r.Lost != 1 || r.Unclosed != 1 || r.Max != 1000 || r.P50 != 3 {
		t.Fatalf("result = %+v", r)
	}
}

// TestTrackerNoAlarms: against a relay that keeps no alarms (the floor) a
// box is free again once paged, and nothing is waited for or counted as
// unclosed.
func TestTrackerNoAlarms(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tr := newTracker([]string{"a", "b"}, 5*time.Second, true)
	page := func(box, alarm string, at time.Time) bool {
		return tr.paged(event.Notification{AlarmID: alarm, Device: box}, at)
	}
	tr.press(t0)
	tr.press(t0)
	if !page("a", "F1", t0.Add(2*time.Millisecond)) {
		t.Fatal("first page not reported as new")
	}
	page("a", "F1", t0.Add(3*time.Millisecond)) // a second copy changes nothing
	if box, ok := tr.press(t0.Add(time.Second)); !ok || box != "a" {
		t.Fatalf("after its page: %s %v, want a free again", box, ok)
	}
	if _, ok := tr.press(t0.Add(time.Second)); ok {
		t.Fatal("a box was freed twice by copies of one page")
	}
	page("b", "F2", t0.Add(4*time.Millisecond))
	tr.sweep(t0.Add(time.Minute))
	var r Result
	tr.fill(&r)
	if r.Presses != 3 || r.Paged != 2 || r.Lost != 1 || r.Unclosed != 0 || r.Max != 4 {
		t.Fatalf("result = %+v", r)
	}
}

func TestPlanPicksPagedLightboxes(t *testing.T) {
	reg, err := registry.Load("testdata/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := makePlan(reg, 3)
	if err != nil {
		t.Fatal(err)
	}
	// lb-0005's cell has a grid member (sun); lb-0006 is wired to Modbus;
	// zhao (grid leader) is not paged at step 0.
	if want := []string{"lb-0001", "lb-0002", "lb-0003", "lb-0004", "lb-0005"}; !slices.Equal(p.boxes, want) {
		t.Errorf("boxes = %v, want %v", p.boxes, want)
	}
	if want := []string{"room1", "sun", "wang"}; !slices.Equal(p.staff, want) {
		t.Errorf("staff = %v, want %v", p.staff, want)
	}
	if want := []string{"cam-0001", "lb-0001", "lb-0002"}; !slices.Equal(p.bgDevs, want) {
		t.Errorf("background devices = %v, want %v", p.bgDevs, want)
	}
	if got := shard([]string{"a", "b", "c", "d", "e"}, 1, 2); !slices.Equal(got, []string{"b", "d"}) {
		t.Errorf("shard = %v", got)
	}
	empty, _ := registry.Parse("e.yaml", []byte("grids: [{id: g, name: G, level: 4}]\ndevices: [{id: lb-1, kind: lightbox, grid: g}]\n"))
	if _, err := makePlan(empty, 1); err == nil || !strings.Contains(err.Error(), "no MQTT light box") {
		t.Errorf("plan without staff: %v", err)
	}
}

// TestTrackerJoinedPressIsNotLost: a press on a box whose alarm is still
// open on the gateway (raised before the bench knew of it) joins that
// alarm, which pages nobody again: the gateway's update with count 2 says
// so, and the press is counted as joined, not lost.
func TestTrackerJoinedPressIsNotLost(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tr := newTracker([]string{"a", "b"}, 5*time.Second, false)
	tr.update("old", "a", 1) // a retained alarm seen at subscribe: the box is not pending
	if box, _ := tr.press(t0); box != "a" {
		t.Fatalf("first press on %s", box)
	}
	tr.update("old", "a", 2) // the press joined it
	tr.sweep(t0.Add(6 * time.Second))
	var r Result
	tr.fill(&r)
	if r.Lost != 0 || r.Joined != 1 || tr.waiting() != 0 {
		t.Fatalf("result %+v, %d waiting; want the press joined, not lost", r, tr.waiting())
	}
	if box, ok := tr.press(t0.Add(7 * time.Second)); !ok || box != "b" {
		t.Fatalf("next press on %s %v, want b (a's alarm is not the bench's)", box, ok)
	}
}

// TestMerge: rounds of one load add up, and the percentiles come from every
// round's samples together, not from averaging the rounds' figures.
func TestMerge(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	var a, b Result
	a.Presses, a.Lost, a.Background, a.Seconds, a.Lightboxes = 3, 0, 100, 10, 20
	a.summarize(ms(1, 1, 1))
	b.Presses, b.Lost, b.Background, b.Seconds, b.Lightboxes = 3, 1, 300, 10, 20
	b.summarize(ms(100, 2))
	m := Merge(a, b)
	if m.Presses != 6 || m.Lost != 1 || m.Paged != 5 || m.Background != 400 || m.Seconds != 20 || m.Lightboxes != 20 {
		t.Errorf("counts: %+v", m)
	}
	if m.PressRate != 0.3 || m.BackgroundRate != 20 {
		t.Errorf("rates: %v presses/s, %v msgs/s; want 0.3 and 20", m.PressRate, m.BackgroundRate)
	}
	// Samples 1 1 1 2 100: the median is 1 (the rounds' medians were 1 and
	// 100), the maximum 100.
	if m.P50 != 1 || m.P90 != 100 || m.Max != 100 {
		t.Errorf("percentiles: p50 %v p90 %v max %v; want 1, 100, 100", m.P50, m.P90, m.Max)
	}
	if got := Merge(); got.Paged != 0 || got.P99 != 0 || got.PressRate != 0 {
		t.Errorf("Merge() = %+v; want zero", got)
	}
}
