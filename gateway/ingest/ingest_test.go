package ingest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

const testRegistry = `
grids:
  - {id: lianhua, name: 莲花社区, level: 3}
  - {id: g7, name: 网格7, level: 4, parent: lianhua}
staff:
  - {id: wang, name: 王芳, role: grid_member, grids: [g7]}
devices:
  - {id: lb-1, kind: lightbox, grid: g7}
  - {id: lb-2, kind: lightbox, grid: g7}
`

// fakeJournal records appends; fail makes the next appends fail.
type fakeJournal struct {
	mu     sync.Mutex
	events []event.Event
	fail   error
}

func (j *fakeJournal) Append(_ context.Context, ev *event.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return j.fail
	}
	ev.ID = uint64(len(j.events) + 1)
	j.events = append(j.events, *ev)
	return nil
}

func (j *fakeJournal) types() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for _, e := range j.events {
		out = append(out, e.Device+":"+e.Type)
	}
	return out
}

type fakeDevices struct {
	mu           sync.Mutex
	seen         map[string]int
	tel          []event.Telemetry
	presence     []event.Presence
	unregistered []string
	rejected     map[string]int
}

func (d *fakeDevices) Seen(id string, _ int64) { d.mu.Lock(); d.seen[id]++; d.mu.Unlock() }
func (d *fakeDevices) Telemetry(t event.Telemetry) {
	d.mu.Lock()
	d.tel = append(d.tel, t)
	d.mu.Unlock()
}
func (d *fakeDevices) Presence(p event.Presence) {
	d.mu.Lock()
	d.presence = append(d.presence, p)
	d.mu.Unlock()
}
func (d *fakeDevices) Unregistered(id, _ string, _ int64) {
	d.mu.Lock()
	d.unregistered = append(d.unregistered, id)
	d.mu.Unlock()
}
func (d *fakeDevices) Rejected(id string) { d.mu.Lock(); d.rejected[id]++; d.mu.Unlock() }

type fakeTelemetry struct{ n int }

func (f *fakeTelemetry) Write(event.Telemetry, *registry.Device, *registry.Grid) { f.n++ }

type fakeReplies struct{ acts []event.Action }

func (f *fakeReplies) Reply(_ context.Context, a event.Action) error {
	f.acts = append(f.acts, a)
	return nil
}

type rig struct {
	in      *Ingestor
	journal *fakeJournal
	devs    *fakeDevices
	tel     *fakeTelemetry
	replies *fakeReplies
	prom    *prometheus.Registry
	now     time.Time
	topics  wire.Topics
}

func newRig(t *testing.T) *rig {
	t.Helper()
	reg, err := registry.Parse("test.yaml", []byte(testRegistry))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{
		journal: &fakeJournal{},
		devs:    &fakeDevices{seen: map[string]int{}, rejected: map[string]int{}},
		tel:     &fakeTelemetry{},
		replies: &fakeReplies{},
		prom:    prometheus.NewRegistry(),
		now:     time.UnixMilli(1_732_345_678_000),
		topics:  wire.Topics{Root: wire.DefaultRoot},
	}
	r.in, err = New(Config{
		Topics: r.topics, Registry: func() *registry.Registry { return reg },
		Journal: r.journal, Devices: r.devs, Telemetry: r.tel, Replies: r.replies,
		MaxPayload: 1024, DeviceRate: 5, DeviceBurst: 10, DedupeWindow: time.Minute,
		Registerer: r.prom, Now: func() time.Time { return r.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) handle(t *testing.T, topic, payload string) error {
	t.Helper()
	return r.in.Handle(context.Background(), topic, []byte(payload))
}

func (r *rig) rejected(reason event.Reason) int {
	c, _ := r.in.metrics.rejectedVec.GetMetricWithLabelValues(string(reason))
	return int(testutil.ToFloat64(c))
}

func TestBadInputIsCountedAndGoodInputFlows(t *testing.T) {
	r := newRig(t)
	ev := r.topics.Event
	cases := []struct {
		topic, payload string
		reason         event.Reason
	}{
		{ev("lb-1"), `{"type":`, event.Malformed},
		{ev("lb-1"), `[1]`, event.Malformed},
		{ev("lb-1"), `{"type":"button.pressed","ts":"soon"}`, event.BadType},
		{ev("lb-1"), `{"type":"button.pressed","data":` + strings.Repeat(" ", 1100) + `{}}`, event.Oversize},
		{ev("ghost"), `{"type":"button.pressed"}`, event.UnknownDevice},
		{ev("bad/id"), `{"type":"button.pressed"}`, event.Malformed},
		{"gridwatch/v1/dev/lb-1/whatever", `{}`, event.Malformed},
		{r.topics.Telemetry("lb-1"), `{"x":{"y":1}}`, event.BadType},
		{r.topics.State("lb-1"), `maybe`, event.Malformed},
		{r.topics.Reply("nobody"), `{"alarm_id":"A1","action":"ack"}`, event.UnknownStaff},
	}
	for _, c := range cases {
		// Refusals are final: the transport acknowledges them (nil).
		if err := r.handle(t, c.topic, c.payload); err != nil {
			t.Errorf("%s: Handle returned %v, want nil (refused for good)", c.topic, err)
		}
		// Good traffic from the other device keeps flowing in between.
		if err := r.handle(t, ev("lb-2"), `{"type":"motion"}`); err != nil {
			t.Fatal(err)
		}
	}
	want := map[event.Reason]int{event.Malformed: 5, event.BadType: 2, event.Oversize: 1, event.UnknownDevice: 1, event.UnknownStaff: 1}
	for reason, n := range want {
		if got := r.rejected(reason); got != n {
			t.Errorf("rejected{%s} = %d, want %d", reason, got, n)
		}
	}
	if got := len(r.journal.types()); got != len(cases) {
		t.Errorf("journaled %d good events, want %d", got, len(cases))
	}
	if len(r.devs.unregistered) != 1 || r.devs.unregistered[0] != "ghost" {
		t.Errorf("unregistered = %v, want [ghost]", r.devs.unregistered)
	}
}

func TestDuplicatesAndReboot(t *testing.T) {
	r := newRig(t)
	topic := r.topics.Event("lb-1")
	first := `{"type":"button.pressed","ts":1732345670000,"seq":7}`
	for range 3 { // a QoS 1 redelivery is byte for byte the same
		if err := r.handle(t, topic, first); err != nil {
			t.Fatal(err)
		}
	}
	// After a reboot the device counts from 7 again, but it is a new press.
	if err := r.handle(t, topic, `{"type":"button.pressed","ts":1732345675000,"seq":7}`); err != nil {
		t.Fatal(err)
	}
	if got := len(r.journal.types()); got != 2 {
		t.Errorf("journaled %d, want 2 (one original, one after reboot)", got)
	}
	if got := r.rejected(event.Duplicate); got != 2 {
		t.Errorf("duplicates = %d, want 2", got)
	}
	// Suppression is bounded in time: past the window the same bytes count again.
	r.now = r.now.Add(2 * time.Minute)
	if err := r.handle(t, topic, first); err != nil {
		t.Fatal(err)
	}
	if got := len(r.journal.types()); got != 3 {
		t.Errorf("journaled %d after the window, want 3", got)
	}
}

func TestFloodFromOneDeviceDoesNotStopOthers(t *testing.T) {
	r := newRig(t)
	for range 100 {
		_ = r.handle(t, r.topics.Event("lb-1"), `{"type":"motion"}`)
	}
	if err := r.handle(t, r.topics.Event("lb-2"), `{"type":"button.pressed"}`); err != nil {
		t.Fatal(err)
	}
	got := r.journal.types()
	if n := r.rejected(event.RateLimited); n != 90 {
		t.Errorf("rate limited %d, want 90 (burst 10)", n)
	}
	if got[len(got)-1] != "lb-2:button.pressed" {
		t.Errorf("the other device's press was not journaled: %v", got[len(got)-5:])
	}
	// The budget refills with time.
	r.now = r.now.Add(time.Second)
	if err := r.handle(t, r.topics.Event("lb-1"), `{"type":"motion"}`); err != nil || r.rejected(event.RateLimited) != 90 {
		t.Errorf("after a second the device may send again: %v", err)
	}
}

func TestJournalFailureIsNotAcknowledged(t *testing.T) {
	r := newRig(t)
	r.journal.fail = errors.New("disk full")
	err := r.handle(t, r.topics.Event("lb-1"), `{"type":"button.pressed","seq":1}`)
	var rj *event.Reject
	if !errors.As(err, &rj) || rj.Reason != event.Unavailable {
		t.Fatalf("Handle = %v, want an unavailable reject", err)
	}
	// The resend after the disk recovers is not mistaken for a duplicate.
	r.journal.fail = nil
	if err := r.handle(t, r.topics.Event("lb-1"), `{"type":"button.pressed","seq":1}`); err != nil {
		t.Fatal(err)
	}
	if len(r.journal.types()) != 1 {
		t.Errorf("journal = %v", r.journal.types())
	}
}

func TestTelemetryStateAndReplies(t *testing.T) {
	r := newRig(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.handle(t, r.topics.Telemetry("lb-1"), `{"battery_v":12.1,"mains":true}`))
	must(r.handle(t, r.topics.State("lb-1"), `offline`))
	must(r.handle(t, r.topics.Reply("wang"), `{"alarm_id":"A1","action":"ack","note":"ok"}`))
	must(r.handle(t, r.topics.Notify("wang"), `{"anything":1}`)) // our own publication echoing back
	if r.tel.n != 1 || len(r.devs.tel) != 1 || r.devs.tel[0].Fields["battery_v"] != 12.1 {
		t.Errorf("telemetry not routed: sink %d, devices %+v", r.tel.n, r.devs.tel)
	}
	if len(r.devs.presence) != 1 || r.devs.presence[0].Online {
		t.Errorf("presence = %+v", r.devs.presence)
	}
	if len(r.replies.acts) != 1 || r.replies.acts[0].By != "wang" || r.replies.acts[0].Kind != event.Ack {
		t.Errorf("replies = %+v", r.replies.acts)
	}
	if len(r.journal.types()) != 0 {
		t.Errorf("nothing but events belongs in the journal: %v", r.journal.types())
	}
}
