package escalate

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/engine"
	"github.com/gridwatch/gridwatch/rules/rulefile"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// site is the test registry: two block grids under one community under one
// street, staff at every level, and one staff member off the tree.
const site = `
grids:
  - {id: baiyu,    name: 白羽街道,     level: 2}
  - {id: lianhua,  name: 莲花社区,     level: 3, parent: baiyu}
  - {id: lh-g4-07, name: 莲花四级网格7, level: 4, parent: lianhua}
  - {id: lh-g4-08, name: 莲花四级网格8, level: 4, parent: lianhua}
  - {id: hehua,    name: 荷花社区,     level: 3}
staff:
  - {id: wang,  name: 王芳,       role: grid_member,    grids: [lh-g4-07]}
  - {id: chen,  name: 陈静,       role: grid_member,    grids: [lh-g4-07]}
  - {id: zhao,  name: 赵强,       role: grid_leader,    grids: [lh-g4-07]}
  - {id: li,    name: 李警官,     role: police,         grids: [lianhua]}
  - {id: room1, name: 莲花监控室, role: security_room,  grids: [lianhua]}
  - {id: cmd1,  name: 白羽指挥中心, role: command_center, grids: [baiyu]}
  - {id: sun,   name: 孙丽,       role: grid_member,    grids: [lh-g4-08]}
  - {id: duty,  name: 值班员,     role: command_center, grids: [hehua]}
groups:
  - {id: patrol, name: 巡逻队, staff: [sun, duty]}
devices:
  - {id: lb-0001, kind: lightbox, grid: lh-g4-07, name: 莲花路12号, location: {lat: 33.30, lon: 111.49}}
  - {id: lb-0002, kind: lightbox, grid: lh-g4-08, name: 莲花路30号}
`

func parseSite(t *testing.T) *registry.Registry {
	t.Helper()
	reg, err := registry.Parse("site.yaml", []byte(site))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// sent is one page the fake notifier received.
type sent struct {
	staff string
	n     event.Notification
	at    time.Time
}

// notifier records pages; fail[staff] > 0 makes that many pages to staff
// fail first (-1: fail forever).
type notifier struct {
	mu    sync.Mutex
	pages []sent
	tries map[string]int
	fail  map[string]int
}

func newNotifier() *notifier { return &notifier{fail: map[string]int{}, tries: map[string]int{}} }

func (f *notifier) Notify(_ context.Context, staff string, n event.Notification) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries[staff]++
	if f.fail[staff] != 0 {
		if f.fail[staff] > 0 {
			f.fail[staff]--
		}
		return errors.New("broker unreachable")
	}
	f.pages = append(f.pages, sent{staff: staff, n: n, at: time.Now()})
	return nil
}

func (f *notifier) setFail(staff string, n int) {
	f.mu.Lock()
	f.fail[staff] = n
	f.mu.Unlock()
}

func (f *notifier) triesOf(staff string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tries[staff]
}

// take returns the pages received since the last take.
func (f *notifier) take() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pages
	f.pages = nil
	return p
}

func staffOf(pages []sent) []string {
	var out []string
	for _, p := range pages {
		out = append(out, p.staff)
	}
	slices.Sort(out)
	return out
}

// board records what it was shown.
type board struct {
	mu   sync.Mutex
	seen []alarm.Alarm
}

func (b *board) Publish(a alarm.Alarm) {
	b.mu.Lock()
	b.seen = append(b.seen, a)
	b.mu.Unlock()
}

func (b *board) take() []alarm.Alarm {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.seen
	b.seen = nil
	return s
}

// rig is a running desk on a real store, with a real rule engine and
// registry, and fakes behind Notifier and Board. Build it inside a
// synctest bubble.
type rig struct {
	t      *testing.T
	path   string
	reg    *registry.Registry
	eng    *engine.Engine
	notes  *notifier
	board  *board
	prom   *prometheus.Registry
	store  *alarm.Store
	desk   *Desk
	cancel context.CancelFunc
	errc   chan error
	lastID *uint64 // journal ids, shared across restarts
}

type rigOption func(*Config)

func startRig(t *testing.T, path string, notes *notifier, lastID *uint64, opts ...rigOption) *rig {
	t.Helper()
	eng, err := engine.New(rulefile.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, path: path, reg: parseSite(t), eng: eng, notes: notes, board: &board{},
		prom: prometheus.NewRegistry(), errc: make(chan error, 1), lastID: lastID}
	r.store, err = alarm.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Registry: func() *registry.Registry { return r.reg }, Notifier: notes, Board: r.board,
		Store: r.store, Registerer: r.prom,
	}
	for _, o := range opts {
		o(&cfg)
	}
	r.desk, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.errc <- r.desk.Run(ctx) }()
	<-r.desk.Ready()
	synctest.Wait()
	return r
}

func newRig(t *testing.T, opts ...rigOption) *rig {
	var id uint64
	return startRig(t, filepath.Join(t.TempDir(), "alarms.db"), newNotifier(), &id, opts...)
}

// stop stops the desk (it stores everything) and closes the store.
func (r *rig) stop() {
	r.t.Helper()
	r.cancel()
	if err := <-r.errc; err != nil {
		r.t.Errorf("Run: %v", err)
	}
	if err := r.store.Close(); err != nil {
		r.t.Error(err)
	}
}

// send journals an event of the device, runs the rules on it, submits it
// and waits until the desk is idle. It returns the event.
func (r *rig) send(device, typ string) event.Event {
	r.t.Helper()
	*r.lastID++
	ev := event.Event{ID: *r.lastID, Device: device, Type: typ, TS: time.Now().Add(-time.Second).UnixMilli(), Source: event.SourceMQTT}
	dev, _ := r.reg.Device(device)
	var grid *registry.Grid
	if dev != nil {
		grid, _ = r.reg.Grid(dev.Grid)
	}
	if err := r.desk.Submit(context.Background(), ev, r.eng.Evaluate(&ev, dev, grid)); err != nil {
		r.t.Fatal(err)
	}
	synctest.Wait()
	return ev
}

// only returns the one open alarm, failing otherwise.
func (r *rig) only() alarm.Alarm {
	r.t.Helper()
	open, err := r.desk.List(alarm.Filter{})
	if err != nil || len(open) != 1 {
		r.t.Fatalf("open alarms = %d, %v; want exactly one", len(open), err)
	}
	return open[0]
}

func (r *rig) metric(c prometheus.Collector) float64 { return testutil.ToFloat64(c) }

// advance moves the bubble's clock and lets the desk catch up.
func advance(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}
