package escalate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
	"github.com/prometheus/client_golang/prometheus"
)

// Notifier pages one staff member (MQTT R/staff/{id}/notify in
// production). The desk calls it from its own goroutine with a bounded
// context, so it should hand the message over and return quickly.
type Notifier interface {
	Notify(ctx context.Context, staffID string, n event.Notification) error
}

// ChannelNotifier is a Notifier that may page over more than one channel
// (MQTT, then SMS when the phone app is away) and says which one took the
// page. A page through any channel but PrimaryChannel is written to the
// alarm's timeline (EntryFallback), so the security room sees that wang
// was reached by SMS.
type ChannelNotifier interface {
	Notifier
	NotifyVia(ctx context.Context, staffID string, n event.Notification) (channel string, err error)
}

// PageTracker is a Notifier that follows each page until the person's
// client confirms it (a delivery ledger), and reports the outcome back
// through Desk.Report. The desk calls Sync before it stores alarms, so an
// alarm stored as paged always has its pages in the ledger (which re-sends
// them after a crash); pages of an alarm the store never got are sent
// again by the journal's replay. It calls AlarmClosed once an alarm
// closes: its pages still pending are given up.
type PageTracker interface {
	Sync(ctx context.Context) error
	AlarmClosed(alarmID string)
}

// PrimaryChannel is the channel every page tries first.
const PrimaryChannel = "mqtt"

// Board shows alarms (retained R/alarms/{id}, the live console). The desk
// calls Publish after every change, in order, from a goroutine of its own
// (not the one that pages): Publish may wait, e.g. for the broker to
// store a retained message, without holding up a page. The alarm passed
// is the Board's to keep and is never modified afterwards.
type Board interface {
	Publish(a alarm.Alarm)
}

// Errors of Act, Get and the rest.
var (
	ErrNotFound  = errors.New("no such alarm")
	ErrForbidden = errors.New("not allowed to act on this alarm")
	ErrStopped   = errors.New("escalation desk stopped")
	ErrNotReady  = errors.New("escalation desk has not loaded its alarms yet")
)

// Defaults of Config.
const (
	DefaultQueue         = 4096
	DefaultNotifyTimeout = 5 * time.Second
)

// Config is what a Desk needs. Registry, Notifier and Store are required.
type Config struct {
	// Policies are the escalation steps per severity; nil means
	// DefaultPolicies.
	Policies Policies
	// Registry returns the current registry (it can be swapped on reload).
	Registry func() *registry.Registry
	Notifier Notifier
	// Board may be nil (nothing shown).
	Board Board
	Store *alarm.Store
	// Logger may be nil (nothing logged).
	Logger *slog.Logger
	// Registerer may be nil (metrics kept but not exported).
	Registerer prometheus.Registerer
	// Queue bounds the input queue of Submit; 0 means DefaultQueue.
	Queue int
	// NotifyTimeout bounds one Notify call; 0 means DefaultNotifyTimeout.
	NotifyTimeout time.Duration
	// Now is the desk's clock; nil is time.Now. The gateway passes its
	// monotonic-carried clock (gateway/clock), so a step of the wall clock
	// neither delays nor hastens a deadline.
	Now func() time.Time
	// Clips may be nil (no evidence clips are planned).
	Clips ClipPlanner
	// OnEmergency, if set, is told each switch after it is stored (on or
	// off: switched, with its scope, who and when) and every scope in
	// emergency mode after it, from the desk's goroutine: it must not
	// block (the county uplink only asks for a summary, the console's
	// stream only queues). The slice is the callee's, sorted by scope.
	OnEmergency func(switched alarm.Emergency, on []alarm.Emergency)
	// Shift is added to the times of the open alarms loaded from the store
	// (raise time, timeline, next deadline): the wall clock stepped by that
	// much while the gateway was down, and the deadlines worked out from
	// those times keep their real spacing.
	Shift time.Duration
}

// Desk is the escalation desk: one goroutine (Run) owns every open alarm,
// applies triggers and staff actions to them in order, pages staff step by
// step up the grid tree until someone acknowledges, and keeps the alarm
// store and its checkpoint up to date.
//
// Delivery is at least once: a step is recorded in memory, sent, and then
// stored with the next batch, so a crash between sending and storing
// re-sends that step after the restart; a step is never skipped. The
// store is written by a writer goroutine of Run's, one batch at a time,
// while the owner goes on paging; the checkpoint moves only with its
// batch, and a staff action is answered once its batch is written.
type Desk struct {
	cfg   Config
	log   *slog.Logger
	m     *metrics
	board Board
	view  *view
	empty *registry.Registry // stands in if cfg.Registry returns nil

	queue chan submission
	acts  chan actRequest
	emerg chan emergRequest
	clips chan evidenceRequest // AttachClip's news for the owner
	// reports carries page outcomes from the delivery ledger to the owner.
	reports chan event.PageReport
	ready   chan struct{} // closed once Run has loaded the store
	done    chan struct{} // closed when Run returns

	started    atomic.Bool
	checkpoint atomic.Uint64 // last journal event ID whose effects are stored

	// boardq takes the updates to the Board; Run's board goroutine shows them.
	boardq *boardQueue
}

type submission struct {
	ev       event.Event
	triggers []event.Trigger
}

type actRequest struct {
	act   event.Action
	who   permit.Caller
	reply chan actReply // buffered: the desk never waits for the caller
}

type actReply struct {
	a   *alarm.Alarm
	err error
}

type nopBoard struct{}

func (nopBoard) Publish(alarm.Alarm) {}

// New checks cfg and builds a desk. It starts nothing; call Run.
func New(cfg Config) (*Desk, error) {
	var errs []error
	if cfg.Policies == nil {
		cfg.Policies = DefaultPolicies()
	}
	if err := cfg.Policies.Validate(); err != nil {
		errs = append(errs, err)
	}
	if cfg.Registry == nil {
		errs = append(errs, errors.New("no registry"))
	}
	if cfg.Notifier == nil {
		errs = append(errs, errors.New("no notifier"))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("no alarm store"))
	}
	if cfg.Queue < 0 || cfg.NotifyTimeout < 0 {
		errs = append(errs, fmt.Errorf("negative queue %d or notify timeout %v", cfg.Queue, cfg.NotifyTimeout))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("escalation desk: %w", errors.Join(errs...))
	}
	if cfg.Queue == 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.NotifyTimeout == 0 {
		cfg.NotifyTimeout = DefaultNotifyTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	d := &Desk{
		cfg:     cfg,
		log:     cfg.Logger,
		m:       m,
		board:   cfg.Board,
		view:    newView(),
		empty:   registry.Empty(),
		queue:   make(chan submission, cfg.Queue),
		acts:    make(chan actRequest),
		emerg:   make(chan emergRequest),
		clips:   make(chan evidenceRequest),
		reports: make(chan event.PageReport, cfg.Queue),
		ready:   make(chan struct{}),
		done:    make(chan struct{}),
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.board == nil {
		d.board = nopBoard{}
	}
	d.boardq = newBoardQueue(d.board)
	return d, nil
}

// Ready is closed once Run has loaded the open alarms and the checkpoint
// from the store. Wait on it (together with your context) before reading
// Checkpoint to replay the journal, and before List or Get.
func (d *Desk) Ready() <-chan struct{} { return d.ready }

// WaitLoaded waits until Run has loaded the store and returns the
// checkpoint to replay the journal after. It fails with ErrStopped if Run
// returned first (e.g. the store could not be read), or with ctx's error.
func (d *Desk) WaitLoaded(ctx context.Context) (uint64, error) {
	select {
	case <-d.ready:
		return d.Checkpoint(), nil
	case <-d.done:
		return 0, ErrStopped
	case <-ctx.Done():
		return 0, fmt.Errorf("escalation desk: waiting for load: %w", ctx.Err())
	}
}

// Done is closed when Run has returned.
func (d *Desk) Done() <-chan struct{} { return d.done }

// Checkpoint is the last journal event ID whose effects are durable in the
// alarm store. Once Ready is closed it is the point to replay the journal
// from (events after it); later it only grows, and the journal may drop
// events at or below it. Before Ready it is 0.
func (d *Desk) Checkpoint() uint64 { return d.checkpoint.Load() }

// Submit hands the desk one journaled event and the triggers the rules
// made of it. Call it for every journaled event, in ID order, even with no
// triggers: that is how the checkpoint advances. Events at or below the
// checkpoint are ignored (a replay may overlap). The desk keeps triggers;
// do not modify them after the call. It blocks only while the
// queue is full, until ctx is done; after Run has returned it fails with
// ErrStopped.
func (d *Desk) Submit(ctx context.Context, ev event.Event, triggers []event.Trigger) error {
	if ev.ID == 0 {
		return fmt.Errorf("escalation desk: event %s from %q has no journal id", ev.Type, ev.Device)
	}
	for i, t := range triggers {
		if t.Rule == "" || t.Device == "" || (!t.Clear && !t.Severity.Valid()) {
			return fmt.Errorf("escalation desk: event %d: trigger %d: rule %q, device %q, severity %q: want a rule, a device and a valid severity",
				ev.ID, i, t.Rule, t.Device, t.Severity)
		}
	}
	select {
	case <-d.done:
		return ErrStopped
	default:
	}
	select {
	case d.queue <- submission{ev: ev, triggers: triggers}:
		return nil
	case <-d.done:
		return ErrStopped
	case <-ctx.Done():
		return fmt.Errorf("escalation desk: submit event %d: %w", ev.ID, ctx.Err())
	}
}

// Report hands the desk news of one page from the delivery ledger
// (delivered, fallen back to SMS, failed); the desk writes it on the
// alarm's page list and timeline. News of an alarm the desk no longer
// holds open is dropped, and the ledger told the alarm is closed. It
// blocks only while the queue is full, until ctx is done.
func (d *Desk) Report(ctx context.Context, r event.PageReport) error {
	if r.AlarmID == "" || r.PageID == "" {
		return fmt.Errorf("escalation desk: page report without an alarm or page id: %+v", r)
	}
	select {
	case d.reports <- r:
		return nil
	case <-d.done:
		return ErrStopped
	case <-ctx.Done():
		return fmt.Errorf("escalation desk: page report %s: %w", r.PageID, ctx.Err())
	}
}

// Act applies a staff action (ack, arrive, resolve) of staff member act.By
// (an MQTT reply's user); it is ActAs for permit.Staff(act.By).
func (d *Desk) Act(ctx context.Context, act event.Action) (alarm.Alarm, error) {
	return d.ActAs(ctx, permit.Staff(act.By), act)
}

// ActAs applies a staff action (ack, arrive, resolve) of caller who,
// resolved at the edge, through the desk goroutine and returns the alarm
// as it is afterwards; act.By is set to who.ID. who must be allowed
// permit.Act: paged for this alarm, or serving the alarm's cell or a cell
// above it; otherwise the error wraps ErrForbidden and the refusal is
// audited. An unknown alarm gives ErrNotFound, an action that does not fit
// the alarm's state alarm.ErrTransition. act.At of 0 means now.
func (d *Desk) ActAs(ctx context.Context, who permit.Caller, act event.Action) (alarm.Alarm, error) {
	act.By = who.ID
	if !act.Kind.Valid() {
		return alarm.Alarm{}, fmt.Errorf("alarm %s: %w %q (want ack, arrive or resolve)", act.AlarmID, alarm.ErrAction, act.Kind)
	}
	if act.AlarmID == "" {
		return alarm.Alarm{}, fmt.Errorf("no alarm id: %w", ErrNotFound)
	}
	if act.By == "" {
		return alarm.Alarm{}, fmt.Errorf("alarm %s: %s by nobody: %w", act.AlarmID, act.Kind, ErrForbidden)
	}
	req := actRequest{act: act, who: who, reply: make(chan actReply, 1)}
	select {
	case d.acts <- req:
	case <-d.done:
		return alarm.Alarm{}, ErrStopped
	case <-ctx.Done():
		return alarm.Alarm{}, fmt.Errorf("alarm %s: %s: %w", act.AlarmID, act.Kind, ctx.Err())
	}
	select {
	case r := <-req.reply:
		if r.err != nil {
			return alarm.Alarm{}, r.err
		}
		return *r.a, nil
	case <-d.done:
		return alarm.Alarm{}, ErrStopped
	case <-ctx.Done():
		return alarm.Alarm{}, fmt.Errorf("alarm %s: %s: %w", act.AlarmID, act.Kind, ctx.Err())
	}
}

// registry returns the current registry, never nil.
func (d *Desk) registry() *registry.Registry {
	if r := d.cfg.Registry(); r != nil {
		return r
	}
	return d.empty
}
