package runner

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/journal"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsite"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/gridwatch/gridwatch/rules/engine"
	"github.com/gridwatch/gridwatch/rules/escalate"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// wait bounds the waits for something the runner does on its own.
const wait = 20 * time.Second

// site is the test cell with a light box, a reader and a camera.
const site = testsite.Cell + `  - {id: lb-0001, kind: lightbox, grid: lh-g4-07, name: 莲花路12号}
  - {id: rd-0001, kind: reader, grid: lh-g4-07, name: 莲花路12号门禁}
  - {id: cam-0001, kind: camera, grid: lh-g4-07, name: 莲花路12号摄像机}
`

func parseSite(t testing.TB) *registry.Registry {
	t.Helper()
	reg, err := registry.Parse("site.yaml", []byte(site))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// phones records the pages the desk sends, per staff member.
type phones struct {
	mu    sync.Mutex
	pages map[string][]event.Notification
}

func (p *phones) Notify(_ context.Context, staff string, n event.Notification) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pages == nil {
		p.pages = map[string][]event.Notification{}
	}
	p.pages[staff] = append(p.pages[staff], n)
	return nil
}

func (p *phones) of(staff string) []event.Notification {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]event.Notification(nil), p.pages[staff]...)
}

// commands records the device commands the rules send.
type commands struct {
	mu   sync.Mutex
	sent []event.Command
}

func (c *commands) Send(cmd event.Command) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, cmd)
	return "c1", nil
}

func (c *commands) all() []event.Command {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event.Command(nil), c.sent...)
}

// tracker is the device tracker: presence told by the rules, and the
// last-seen stamps it would save.
type tracker struct {
	mu       sync.Mutex
	presence []event.Presence
	seen     map[string]int64
}

func (d *tracker) Presence(p event.Presence) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.presence = append(d.presence, p)
}

func (d *tracker) LastSeen() map[string]int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := make(map[string]int64, len(d.seen))
	for k, v := range d.seen {
		m[k] = v
	}
	return m
}

// rig is a runner on a real journal, a real desk and a real alarm store in
// dir, with recording phones, command router and tracker; a restart is a
// new rig on the same dir.
type rig struct {
	t       testing.TB
	dir     string
	reg     *registry.Registry
	store   *alarm.Store
	desk    *escalate.Desk
	journal *journal.Journal
	run     *Runner
	phones  *phones
	cmds    *commands
	devs    *tracker
	prom    *prometheus.Registry
	cancel  context.CancelFunc
	done    sync.WaitGroup
	errs    []error
	errMu   sync.Mutex
}

type rigOption func(*Config)

// startRig opens the stores in dir, starts the desk and the runner, and
// waits until the runner has replayed the journal.
func startRig(t testing.TB, dir string, opts ...rigOption) *rig {
	t.Helper()
	return startRigPaging(t, dir, nil, opts...)
}

// startRigPaging is startRig with the desk paging through notes (nil: the
// rig's phones).
func startRigPaging(t testing.TB, dir string, notes escalate.Notifier, opts ...rigOption) *rig {
	t.Helper()
	r := &rig{t: t, dir: dir, reg: parseSite(t), phones: &phones{}, cmds: &commands{}, devs: &tracker{}}
	if notes == nil {
		notes = r.phones
	}
	var err error
	if r.store, err = alarm.OpenStore(filepath.Join(dir, "alarms.db")); err != nil {
		t.Fatal(err)
	}
	regf := func() *registry.Registry { return r.reg }
	if r.desk, err = escalate.New(escalate.Config{Registry: regf, Notifier: notes, Store: r.store}); err != nil {
		t.Fatal(err)
	}
	applied, reserved, err := r.store.EventIDs()
	if err != nil {
		t.Fatal(err)
	}
	if r.journal, err = journal.Open(filepath.Join(dir, "journal"), journal.Options{Applied: applied, Reserved: reserved,
		Reserve: r.store.ReserveEventIDs}); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(rulefile.Builtin())
	if err != nil {
		t.Fatal(err)
	}
	r.prom = prometheus.NewRegistry()
	cfg := Config{Engine: eng, Registry: regf, Journal: r.journal, Desk: r.desk, Devices: r.devs,
		Commands: r.cmds, DataDir: dir, Registerer: r.prom}
	for _, o := range opts {
		o(&cfg)
	}
	if r.run, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	for _, part := range []func(context.Context) error{r.desk.Run, r.run.Run} {
		r.done.Go(func() {
			if err := part(ctx); err != nil {
				r.errMu.Lock()
				r.errs = append(r.errs, err)
				r.errMu.Unlock()
				cancel()
			}
		})
	}
	select {
	case <-r.run.Replayed():
	case <-time.After(wait):
		t.Fatal("the runner did not replay the journal")
	}
	return r
}

// stop stops the desk and the runner as the gateway does: the desk stores
// what it has; the rules' last snapshot is written only when final.
func (r *rig) stop(final bool) {
	r.t.Helper()
	r.cancel()
	r.done.Wait()
	for _, err := range r.errs {
		r.t.Errorf("run: %v", err)
	}
	if final {
		r.run.SaveFinal()
	}
	if err := r.journal.Close(); err != nil {
		r.t.Error(err)
	}
	if err := r.store.Close(); err != nil {
		r.t.Error(err)
	}
}

// append journals one event of device, as ingest does when it accepts it.
func (r *rig) append(device, typ string) event.Event {
	r.t.Helper()
	now := time.Now().UnixMilli()
	ev := event.Event{Device: device, Type: typ, TS: now, Received: now, Source: event.SourceMQTT}
	if err := r.journal.Append(context.Background(), &ev); err != nil {
		r.t.Fatal(err)
	}
	return ev
}

// settle waits until the desk has stored every journaled event.
func (r *rig) settle() {
	r.t.Helper()
	last := r.journal.LastID()
	testsvc.Eventually(r.t, wait, "the desk stores every journaled event", func() bool { return r.desk.Checkpoint() >= last })
}

// alarms lists the alarms of rule, open or not.
func (r *rig) alarms(rule string) []alarm.Alarm {
	r.t.Helper()
	all, err := r.desk.List(alarm.Filter{State: alarm.FilterAll})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []alarm.Alarm
	for _, a := range all {
		if a.Rule == rule {
			out = append(out, a)
		}
	}
	return out
}
