package escalate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Tuning of the desk loop.
const (
	burst           = 256              // submissions taken per wake-up before storing
	checkpointEvery = time.Second      // how long a checkpoint-only change may wait to be stored
	saveBackoffMax  = 30 * time.Second // longest wait between tries after a failed save
)

// owner is the state the Run goroutine owns; nothing else touches it.
type owner struct {
	d     *Desk
	ctx   context.Context
	open  map[string]*alarm.Alarm
	byKey map[alarmKey]*alarm.Alarm
	// dirty are alarms changed since the last save (closed ones included).
	dirty map[string]*alarm.Alarm
	due   schedule
	// emergency holds the scopes in emergency mode ("" the whole site).
	emergency map[string]alarm.Emergency
	ids       alarm.IDGen
	timer     *time.Timer
	board     *boardQueue

	applied   uint64 // last event ID applied in memory
	persisted uint64 // last event ID stored with its effects
	flushAt   int64  // Unix ms of the next save without new changes; 0 none
	saveFails int

	// The writer (writer.go): one batch in flight at a time.
	saveIn          chan saveBatch // capacity 1
	saveOut         chan error     // capacity 1
	saving          bool           // a batch is with the writer
	urgent          bool           // save as soon as the writer is free
	inflight        map[string]*alarm.Alarm
	inflightCkpt    uint64
	inflightReplies []pendingReply // actions in the batch in flight
	waiting         []pendingReply // actions in dirty, for the next batch
}

type alarmKey struct{ rule, device string }

// Run loads the open alarms and the checkpoint from the store, sends any
// escalation step that fell due while the desk was down (marked Late),
// re-arms the later ones, closes Ready, and then serves Submit and Act
// until ctx is done. It stores everything before it returns; it returns
// nil after a clean stop. Run may be called once.
func (d *Desk) Run(ctx context.Context) error {
	if !d.started.CompareAndSwap(false, true) {
		return errors.New("escalation desk: Run called twice")
	}
	defer close(d.done)
	o := &owner{
		d:         d,
		ctx:       ctx,
		open:      make(map[string]*alarm.Alarm),
		byKey:     make(map[alarmKey]*alarm.Alarm),
		dirty:     make(map[string]*alarm.Alarm),
		emergency: make(map[string]alarm.Emergency),
		timer:     time.NewTimer(time.Hour),
		saveIn:    make(chan saveBatch, 1),
		saveOut:   make(chan error, 1),
		board:     d.boardq,
	}
	defer o.timer.Stop()
	loaded, err := o.load()
	if err != nil {
		return err
	}
	o.board.seed(loaded)
	var helpers sync.WaitGroup // the writer and the board
	helpers.Go(func() { d.writer(ctx, o.saveIn, o.saveOut) })
	helpers.Go(o.board.run)
	defer func() {
		close(o.saveIn)
		o.board.close()
		helpers.Wait()
	}()
	close(d.ready)
	o.resume(loaded)
	for {
		o.arm()
		select {
		case <-ctx.Done():
			if err := o.flush(); err != nil {
				return fmt.Errorf("escalation desk: storing on stop: %w", err)
			}
			return nil
		case s := <-d.queue:
			o.submit(s)
			o.drain()
			o.afterBurst()
		case r := <-d.acts:
			o.act(r)
		case r := <-d.emerg:
			r.reply <- o.setEmergency(r)
		case r := <-d.clips:
			o.attachClip(r)
		case r := <-d.reports:
			o.reportBurst(r)
		case err := <-o.saveOut:
			o.saved(err)
		case <-o.timer.C:
			o.wake()
		}
	}
}

// load reads the open alarms and the checkpoint and indexes them.
func (o *owner) load() ([]*alarm.Alarm, error) {
	st := o.d.cfg.Store
	open, ckpt, err := st.Load()
	if err != nil {
		return nil, fmt.Errorf("escalation desk: %w", err)
	}
	last, err := st.LastID()
	if err != nil {
		return nil, fmt.Errorf("escalation desk: %w", err)
	}
	if last != "" {
		if err := o.ids.Observe(last); err != nil {
			o.d.log.Warn("alarm store holds an id of another scheme; new ids may not sort after it", "id", last, "err", err)
		}
	}
	emerg, err := st.Emergencies()
	if err != nil {
		return nil, fmt.Errorf("escalation desk: %w", err)
	}
	for _, e := range emerg {
		o.emergency[e.Scope] = e
	}
	if sh := o.d.cfg.Shift; sh != 0 {
		for _, a := range open {
			a.Shift(sh)
			o.dirty[a.ID] = a // stored in the new time, once
		}
		o.d.log.Warn("open alarms' times moved by the wall clock's step while the gateway was down", "shift", sh.String(), "alarms", len(open))
	}
	o.applied, o.persisted = ckpt, ckpt
	o.d.checkpoint.Store(ckpt)
	counts := make(map[event.Severity]float64)
	for _, a := range open {
		k := alarmKey{a.Rule, a.Device}
		if prev := o.byKey[k]; prev != nil {
			o.d.log.Warn("two open alarms of one rule on one device; new triggers join the newer",
				"rule", a.Rule, "device", a.Device, "alarms", []string{prev.ID, a.ID})
		}
		o.open[a.ID] = a
		o.byKey[k] = a
		o.d.view.put(a.Clone())
		counts[a.Severity]++
	}
	for _, sev := range []event.Severity{event.Red, event.Orange, event.Yellow, event.Blue} {
		o.d.m.open.WithLabelValues(string(sev)).Set(counts[sev])
	}
	o.d.log.Info("escalation desk loaded", "open", len(open), "checkpoint", ckpt, "emergencies", len(emerg))
	return open, nil
}

// resume sends the steps that fell due while the desk was down, re-arms
// the later ones and retries the pages that had not been delivered.
func (o *owner) resume(loaded []*alarm.Alarm) {
	now := o.d.cfg.Now()
	for _, a := range loaded {
		o.armRepages(a)
		o.armTestEnd(a)
		if !a.Escalating() {
			continue
		}
		for _, staff := range slices.Sorted(maps.Keys(a.Undelivered)) {
			o.due.push(due{at: now.UnixMilli(), kind: dueRetry, alarm: a.ID, staff: staff})
		}
		if o.advance(a, now) {
			o.changed(a)
		}
	}
	o.wake()
}

// drain takes whatever else is queued, up to a burst, without waiting.
func (o *owner) drain() {
	for range burst - 1 {
		select {
		case s := <-o.d.queue:
			o.submit(s)
		default:
			return
		}
	}
}

// wake handles every deadline that has come, then stores.
func (o *owner) wake() {
	now := o.d.cfg.Now()
	for {
		d, ok := o.due.pop(now.UnixMilli())
		if !ok {
			break
		}
		o.fire(d, now)
	}
	if o.flushAt != 0 && now.UnixMilli() >= o.flushAt {
		o.startSave()
	}
	o.afterBurst()
}

// afterBurst lets what the burst changed wait up to checkpointEvery to
// be stored, with the next staff action's batch if one comes first (an
// action is answered only once stored), so that the presses and steps of
// a second share one commit of the ledger and one of the alarm store
// instead of each taking their fsyncs, which compete with the journal's
// for the disk. Pages went out before; a crash before the save loses
// nothing, since the checkpoint has not moved past the events and the
// restart replays them (same alarm and page ids).
func (o *owner) afterBurst() {
	switch {
	case len(o.dirty) > 0 && o.saveFails == 0:
		o.saveSoon()
	case o.applied > o.persisted && o.flushAt == 0 && !o.saving:
		o.flushAt = o.d.cfg.Now().Add(checkpointEvery).UnixMilli()
	}
}

// arm sets the timer to the earliest deadline or pending save.
func (o *owner) arm() {
	next, ok := o.due.next()
	// While a batch is being written its end decides the next save.
	if o.flushAt != 0 && !o.saving && (!ok || o.flushAt < next) {
		next, ok = o.flushAt, true
	}
	if !ok {
		o.timer.Stop()
		return
	}
	// The wait is worked out on the desk's clock, and the timer runs on
	// the monotonic clock: a step of the wall clock moves neither.
	o.timer.Reset(time.Duration(next-o.d.cfg.Now().UnixMilli()) * time.Millisecond)
}
