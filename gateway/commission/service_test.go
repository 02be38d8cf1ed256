package commission

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

const site = `
grids:
  - {id: lianhua,  name: 莲花社区, level: 3}
  - {id: lh-g4-07, name: 网格7, level: 4, parent: lianhua}
  - {id: lh-g4-08, name: 网格8, level: 4, parent: lianhua}
staff:
  - {id: wang,  name: 王芳, role: grid_member,   grids: [lh-g4-07]}
  - {id: room7, name: 监控室, role: security_room, grids: [lh-g4-07]}
devices:
  - {id: lb-0001, kind: lightbox, grid: lh-g4-07, heartbeat: 30s}
  - {id: rd-0002, kind: reader,   grid: lh-g4-07}
  - {id: lb-0003, kind: lightbox, grid: lh-g4-08, heartbeat: 30s}
  - {id: cam-0003, kind: camera,  grid: lh-g4-08}
`

// testMode records what is in test mode and until when.
type testMode struct {
	mu       sync.Mutex
	active   map[string]time.Time
	released map[string][]string // by session
}

func (m *testMode) Release(id string, devices []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.active[id]; !ok {
		return nil
	}
	if m.released == nil {
		m.released = map[string][]string{}
	}
	m.released[id] = append(m.released[id], devices...)
	return nil
}

func (m *testMode) releasedOf(id string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.released[id])
}

func (m *testMode) Start(id string, _ []string, until time.Time, _ permit.Caller) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active[id] = until
	return nil
}

func (m *testMode) Stop(id string, _ permit.Caller) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.active, id)
	return nil
}

type rig struct {
	svc  *Service
	mode *testMode
	now  time.Time
	path string
	reg  *registry.Registry
}

func newRig(t testing.TB) *rig {
	reg, err := registry.Parse("registry.yaml", []byte(site))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{mode: &testMode{active: map[string]time.Time{}}, now: time.Unix(1_790_000_000, 0), reg: reg,
		path: filepath.Join(t.TempDir(), "commissioning.json")}
	r.open(t)
	return r
}

func (r *rig) open(t testing.TB) {
	svc, err := Open(Config{Path: r.path, Registry: func() *registry.Registry { return r.reg }, TestMode: r.mode,
		Now: func() time.Time { return r.now }})
	if err != nil {
		t.Fatal(err)
	}
	r.svc = svc
}

func (r *rig) ms(after time.Duration) int64 { return r.now.Add(after).UnixMilli() }

// TestWalkTestOfACell: a security room commissions its cell; what each
// device shows is ticked off, an out-of-range battery fails its box, a
// device that showed nothing is not seen, and ending the session takes
// the cell out of test mode.
func TestWalkTestOfACell(t *testing.T) {
	r := newRig(t)
	room := permit.Staff("room7")
	ss, err := r.svc.Start(Request{Grid: "lh-g4-07", Duration: time.Hour}, room)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss.Devices) != 2 || ss.Summary[Pending] != 2 || r.mode.active[ss.ID] != r.now.Add(time.Hour) {
		t.Fatalf("session %+v, test mode %v", ss, r.mode.active)
	}
	rx := r.ms(time.Second)
	for _, ty := range []string{event.ButtonPressed, event.TamperOpen, event.PowerMainsLost, event.PowerMainsRestored} {
		r.svc.Event(&event.Event{Device: "lb-0001", Type: ty, TS: rx - 120, Received: rx})
	}
	r.svc.Telemetry(event.Telemetry{Device: "lb-0001", Received: rx, Fields: map[string]any{"battery_v": 10.9, "rssi_dbm": -70.0}})
	r.svc.Telemetry(event.Telemetry{Device: "lb-0001", Received: rx + 1, Fields: map[string]any{"battery_v": 13.1}})
	r.svc.CommandResult("lb-0001", "strobe", "ok", "", rx, rx+40)
	r.svc.Event(&event.Event{Device: "lb-0003", Type: event.ButtonPressed, Received: rx}) // not in the session

	ss, _ = r.svc.Get(ss.ID, room)
	lb := ss.Devices["lb-0001"]
	if lb.Marks[Press] == nil || lb.Marks[Press].LatencyMS != 120 || lb.Marks[Mains] == nil || !lb.Marks[Command].OK || lb.Marks[Command].LatencyMS != 40 {
		t.Errorf("lb-0001 marks %+v", lb.Marks)
	}
	if lb.Outcome != Failed || !slices.Equal(lb.Missing, []Check{Battery}) || lb.OutOfRange["battery_v"] != 10.9 {
		t.Errorf("lb-0001: %s missing %v out of range %v; want failed on its battery of 10.9 V", lb.Outcome, lb.Missing, lb.OutOfRange)
	}
	if _, err := r.svc.Get(ss.ID, permit.Staff("wang")); !errors.Is(err, ErrForbidden) {
		t.Errorf("a grid member reads the session: %v", err)
	}
	if _, err := r.svc.Start(Request{Devices: []string{"lb-0001"}}, room); !errors.Is(err, ErrBusy) {
		t.Errorf("a second session over lb-0001: %v", err)
	}

	ss, err = r.svc.End(ss.ID, room)
	if err != nil || ss.Live() || ss.Devices["rd-0002"].Outcome != NotSeen || ss.Summary[Failed] != 1 || len(r.mode.active) != 0 {
		t.Fatalf("ended: %+v %v; test mode %v", ss.Summary, err, r.mode.active)
	}
}

// TestSessionExpiresAcrossARestart: a session kept in its file whose time
// ran out while the gateway was down is read back ended (expired) and
// takes no more observations; a live one is read back live.
func TestSessionExpiresAcrossARestart(t *testing.T) {
	r := newRig(t)
	inst := permit.AccountCaller("fitter", permit.Installer)
	short, err := r.svc.Start(Request{Devices: []string{"lb-0001"}, Duration: 10 * time.Minute}, inst)
	if err != nil {
		t.Fatal(err)
	}
	long, err := r.svc.Start(Request{Devices: []string{"lb-0003"}, Duration: time.Hour}, inst)
	if err != nil {
		t.Fatal(err)
	}
	r.svc.Event(&event.Event{Device: "lb-0001", Type: event.ButtonPressed, Received: r.ms(time.Second)})
	if err := r.svc.Close(); err != nil { // the gateway stops
		t.Fatal(err)
	}

	r.now = r.now.Add(30 * time.Minute) // the gateway was down meanwhile
	r.open(t)
	got, err := r.svc.Get(short.ID, inst)
	if err != nil || got.Live() || got.EndReason != "expired" || got.EndedMS != short.ExpiresMS || got.Devices["lb-0001"].Marks[Press] == nil {
		t.Fatalf("expired session after restart: %+v, %v", got, err)
	}
	r.svc.Event(&event.Event{Device: "lb-0001", Type: event.TamperOpen, Received: r.ms(0)})
	if got, _ = r.svc.Get(short.ID, inst); got.Devices["lb-0001"].Marks[Tamper] != nil {
		t.Error("an ended session took an observation")
	}
	if got, _ = r.svc.Get(long.ID, inst); !got.Live() {
		t.Errorf("the live session came back ended: %+v", got)
	}
	if _, err := r.svc.Start(Request{Devices: []string{"lb-0001"}}, inst); err != nil {
		t.Errorf("lb-0001 is free again after its session expired: %v", err)
	}
}

// TestCameraAndReaderChecks: a camera passes on its stream's samples and
// a cover; a lost stream fails it until the stream is back. A reader
// passes on a card, its door and a command's ack.
func TestCameraAndReaderChecks(t *testing.T) {
	r := newRig(t)
	admin := permit.AccountCaller("root", permit.Admin)
	ss, err := r.svc.Start(Request{Devices: []string{"cam-0003", "rd-0002"}}, admin)
	if err != nil {
		t.Fatal(err)
	}
	rx := r.ms(time.Second)
	r.svc.Telemetry(event.Telemetry{Device: "cam-0003", Received: rx, Fields: map[string]any{"fps": 25.0}})
	r.svc.Event(&event.Event{Device: "cam-0003", Type: event.VideoLoss, Received: rx + 1})
	if got, _ := r.svc.Get(ss.ID, admin); got.Devices["cam-0003"].Outcome != Failed {
		t.Errorf("camera with its stream lost: %s", got.Devices["cam-0003"].Outcome)
	}
	r.svc.Event(&event.Event{Device: "cam-0003", Type: event.StreamRestored, Received: rx + 2})
	r.svc.Event(&event.Event{Device: "cam-0003", Type: event.CameraOccluded, Received: rx + 3})
	for _, ty := range []string{"card.read", "door.closed"} {
		r.svc.Event(&event.Event{Device: "rd-0002", Type: ty, Received: rx})
	}
	r.svc.CommandResult("rd-0002", "strobe", "ok", "", rx, rx+5)
	got, _ := r.svc.Get(ss.ID, admin)
	for _, id := range []string{"cam-0003", "rd-0002"} {
		if d := got.Devices[id]; d.Outcome != Passed {
			t.Errorf("%s: %s, missing %v, marks %v", id, d.Outcome, d.Missing, d.Marks)
		}
	}
}

// TestUnreadableFileIsSetAside: a damaged sessions file does not stop
// the gateway; it is set aside and the service starts empty.
func TestUnreadableFileIsSetAside(t *testing.T) {
	r := newRig(t)
	if err := os.WriteFile(r.path, []byte("{half"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.open(t)
	if n := len(r.svc.List(permit.Console)); n != 0 {
		t.Errorf("%d sessions from a damaged file", n)
	}
	if _, err := os.Stat(r.path + ".unreadable"); err != nil {
		t.Errorf("damaged file not set aside: %v", err)
	}
}
