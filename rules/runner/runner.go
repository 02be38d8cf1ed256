package runner

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/engine"
)

// Journal is the durable log of accepted events.
type Journal interface {
	// Follow calls fn, in strictly increasing ID order, for every durable
	// event after after, those on disk first and then each new one once it
	// is durable, until ctx is done or fn fails.
	Follow(ctx context.Context, after uint64, fn func(event.Event) error) error
	// LastID is the ID of the last durable event.
	LastID() uint64
	// Append journals an event (the supervision's derived events).
	Append(ctx context.Context, ev *event.Event) error
}

// Desk is the escalation desk: it turns the rules' triggers into alarms
// and pages, and keeps the last event it stored as its checkpoint.
type Desk interface {
	// WaitLoaded waits until the desk has loaded its store and returns
	// its checkpoint.
	WaitLoaded(ctx context.Context) (uint64, error)
	// Submit hands the desk one event and what the rules made of it.
	Submit(ctx context.Context, ev event.Event, triggers []event.Trigger) error
	// Checkpoint is the last event whose effects the desk stored.
	Checkpoint() uint64
}

// Devices is the device tracker: what the console shows of each device.
type Devices interface {
	// Presence records a device the rules declared offline or online.
	Presence(p event.Presence)
	// LastSeen gives, per registered device heard from, the Unix
	// milliseconds of its last sign of life.
	LastSeen() map[string]int64
}

// Commander sends one device command (strobe, siren, clip).
type Commander interface {
	Send(c event.Command) (string, error)
}

// History keeps events for dashboards (InfluxDB, through a spool).
type History interface {
	WriteEvent(ev event.Event, dev *registry.Device, grid *registry.Grid) error
}

// Config is what New needs.
type Config struct {
	// Engine is the compiled rule set; the runner owns it from here on.
	Engine *engine.Engine
	// Registry returns the current registry.
	Registry func() *registry.Registry
	Journal  Journal
	Desk     Desk
	Devices  Devices
	// Commands sends what rules ask devices to do; nil sends nothing.
	Commands Commander
	// History keeps events for dashboards; nil keeps none.
	History History
	// Back is told of each device the rules declare back online (nil:
	// nobody listens); broadcasts speak again to boxes that missed them.
	Back func(device string)
	// DataDir holds rules.state and lastseen.json.
	DataDir string
	// Now is the gateway's clock (gateway/clock): supervision deadlines
	// and derived events' stamps do not move with the wall clock. nil is
	// time.Now.
	Now func() time.Time
	// Shift is how far the wall clock was stepped while the gateway was
	// down: added to the last-seen stamps of the previous run.
	Shift time.Duration
	// Logger may be nil (nothing logged).
	Logger *slog.Logger
	// Registerer may be nil (metrics kept but not exported).
	Registerer prometheus.Registerer
}

// Runner takes journaled events through the rules to the desk. New
// starts nothing; Run does the work.
type Runner struct {
	reg      func() *registry.Registry
	journal  Journal
	desk     Desk
	devices  Devices
	commands Commander
	history  History
	back     func(device string)
	log      *slog.Logger
	now      func() time.Time
	shift    time.Duration
	met      *metrics

	state *snapshots
	seen  *lastSeen

	replayed chan struct{}
	// applied is the ID of the last event the runner handed to the desk.
	applied atomic.Uint64

	// mu gives the engine one owner at a time: the hand-off of events
	// (the hot path), the supervision ticks, snapshots and admin changes.
	mu     sync.Mutex
	engine *engine.Engine

	signMu sync.Mutex
	signs  map[string]time.Time // device → latest sign of life not yet handed over
}

// New checks cfg and builds a runner. It starts nothing.
func New(cfg Config) (*Runner, error) {
	var missing []string
	for _, f := range []struct {
		name string
		ok   bool
	}{{"Engine", cfg.Engine != nil}, {"Registry", cfg.Registry != nil}, {"Journal", cfg.Journal != nil},
		{"Desk", cfg.Desk != nil}, {"Devices", cfg.Devices != nil}, {"DataDir", cfg.DataDir != ""}} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("rules runner: config lacks %v", missing)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{
		reg: cfg.Registry, journal: cfg.Journal, desk: cfg.Desk, devices: cfg.Devices,
		commands: cfg.Commands, history: cfg.History, back: cfg.Back,
		log: cfg.Logger, now: cfg.Now, shift: cfg.Shift,
		engine: cfg.Engine, replayed: make(chan struct{}),
	}
	met, err := newMetrics(cfg.Registerer, r.behind)
	if err != nil {
		return nil, err
	}
	r.met = met
	r.state = newSnapshots(filepath.Join(cfg.DataDir, stateFile), r, cfg.Logger.With("component", "rules"))
	r.seen = &lastSeen{path: filepath.Join(cfg.DataDir, lastSeenFile), devices: cfg.Devices,
		log: cfg.Logger.With("component", "supervision")}
	return r, nil
}

// Replayed is closed once Run has restored the rules and applied the
// journal as it stood at the start: new input may be taken from then on.
func (r *Runner) Replayed() <-chan struct{} { return r.replayed }

// Run restores the rules' state and follows the journal from there on its
// own goroutine: every durable event, in ID order, through the rules to the
// desk. Once it has caught up with the journal as it stood at the start
// (Replayed), it also supervises devices and saves the rules' state and
// the last-seen record, until ctx is done. Call SaveFinal once Run and the
// desk have returned.
func (r *Runner) Run(ctx context.Context) error {
	settled, err := r.desk.WaitLoaded(ctx)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	after := r.state.restore(settled, r.now())
	r.applied.Store(after)
	last, err := r.seen.load()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	followed := make(chan error, 1)
	wg.Go(func() {
		followed <- r.follow(ctx, after, settled)
		cancel()
	})
	select {
	case <-r.replayed:
	case <-ctx.Done():
		wg.Wait()
		return r.stopped(ctx, <-followed)
	}
	// Supervision resumes where it stopped: every device heard from before
	// is watched from its last sign of life, moved by a wall-clock step
	// made while the gateway was down (a clock stepped forward an hour
	// must not make every device look silent for an hour).
	for id, ms := range last {
		r.Alive(id, time.UnixMilli(ms).Add(r.shift))
	}
	for _, run := range []func(context.Context){r.supervise, r.seen.run, r.state.run} {
		wg.Go(func() { run(ctx) })
	}
	wg.Wait()
	return r.stopped(ctx, <-followed)
}

// stopped is Run's error: none when it was stopped.
func (r *Runner) stopped(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return nil
	}
	return err
}

// follow applies every durable event after after, settled up to settled,
// and closes replayed once it has reached the journal's last event as it
// was when it started.
func (r *Runner) follow(ctx context.Context, after, settled uint64) error {
	upto := r.journal.LastID()
	n, caught := 0, false
	catchUp := func() {
		caught = true
		if n > 0 {
			r.log.Info("replayed journal", "after", after, "desk_after", settled, "events", n)
		}
		close(r.replayed)
	}
	if after >= upto {
		catchUp()
	}
	err := r.journal.Follow(ctx, after, func(ev event.Event) error {
		if err := r.apply(ctx, ev, ev.ID <= settled); err != nil {
			return err
		}
		r.applied.Store(ev.ID)
		if !caught {
			n++
			if ev.ID >= upto {
				catchUp()
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rules: following the journal: %w", err)
	}
	return nil
}

// Applied is the ID of the last journal event the runner handed to the
// desk (or, before the first, the point it replays after).
func (r *Runner) Applied() uint64 { return r.applied.Load() }

// behind is how many journal IDs the rules are behind the journal.
func (r *Runner) behind() float64 {
	last, applied := r.journal.LastID(), r.applied.Load()
	if last <= applied {
		return 0
	}
	return float64(last - applied)
}

// CatchUp waits until the runner has handed the desk every event durable
// when it was called, or ctx is done: at a graceful stop, after the inputs
// stopped and before the desk does, so no accepted event waits for the
// next start to be paged.
func (r *Runner) CatchUp(ctx context.Context) error {
	last := r.journal.LastID()
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for r.applied.Load() < last {
		select {
		case <-ctx.Done():
			return fmt.Errorf("rules: at event %d of %d: %w", r.applied.Load(), last, ctx.Err())
		case <-poll.C:
		}
	}
	return nil
}

// ReplayPoint is the ID a restart replays the journal after: the older of
// the desk's checkpoint and the rules' snapshot on disk (0 before the
// first snapshot). The journal must keep every event after it.
func (r *Runner) ReplayPoint() uint64 {
	return replayPoint(r.desk.Checkpoint(), r.state.savedAfter())
}

func replayPoint(desk, rules uint64) uint64 { return min(desk, rules) }
