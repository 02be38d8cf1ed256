package escalate

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Storing: the owner never waits for a disk. It hands what changed to a
// writer goroutine (Run starts it and waits for it) one batch at a time,
// and goes on paging while the batch is written; whatever changes
// meanwhile goes into the next batch (group commit across presses and
// staff actions). A batch is clones of the changed alarms as of the last
// applied event and that event's ID, so the checkpoint the store gets
// never claims an event whose effects are not in the same transaction.
//
// The first page of a press therefore goes out right after the journal's
// fsync and the rules: a crash before the batch is stored loses nothing
// the journal accepted, since the checkpoint has not moved past the event
// and the restart replays it (same alarm id, same page ids). A staff
// action is answered only after a batch holding it was written (or its
// write failed and is retried: the action stands), as before.

// saveBatch is one transaction of the writer.
type saveBatch struct {
	alarms     []*alarm.Alarm // clones, by id
	checkpoint uint64
}

// pendingReply is an action's answer, sent once its batch was written.
type pendingReply struct {
	reply chan actReply
	a     *alarm.Alarm
}

// writer stores each batch from in: first the pages it sent are made
// durable in the ledger (so an alarm stored as paged has its pages
// there), then the alarms and the checkpoint. It reports each outcome on
// out and returns when in is closed.
func (d *Desk) writer(ctx context.Context, in <-chan saveBatch, out chan<- error) {
	for b := range in {
		err := d.syncPages(ctx)
		if err == nil {
			err = d.cfg.Store.Save(b.alarms, b.checkpoint)
		}
		out <- err
	}
}

// syncPages waits until every page sent so far is durable in the
// ledger, before the alarms that sent them are stored.
func (d *Desk) syncPages(ctx context.Context) error {
	t, ok := d.cfg.Notifier.(PageTracker)
	if !ok {
		return nil
	}
	// Also on the way out (ctx done): the last save needs it too.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.NotifyTimeout)
	defer cancel()
	return t.Sync(ctx)
}

// saveNow asks for a save as soon as the writer is free.
func (o *owner) saveNow() {
	o.urgent = true
	o.startSave()
}

// startSave hands the changes so far to the writer, unless it is busy
// (the end of its batch starts the next) or there is nothing to store.
func (o *owner) startSave() {
	if o.saving {
		return
	}
	if len(o.dirty) == 0 && o.applied == o.persisted {
		o.flushAt, o.urgent = 0, false
		o.answer(o.waiting)
		o.waiting = nil
		return
	}
	batch := make([]*alarm.Alarm, 0, len(o.dirty))
	for _, a := range o.dirty {
		batch = append(batch, a.Clone())
	}
	slices.SortFunc(batch, func(a, b *alarm.Alarm) int { return strings.Compare(a.ID, b.ID) })
	o.inflight, o.dirty = o.dirty, make(map[string]*alarm.Alarm)
	o.inflightCkpt = o.applied
	o.inflightReplies, o.waiting = o.waiting, nil
	o.saving, o.urgent, o.flushAt = true, false, 0
	o.saveIn <- saveBatch{alarms: batch, checkpoint: o.applied} // capacity 1 and the writer is idle
}

// saved takes the writer's outcome of the batch in flight. On failure its
// alarms are dirty again (newer changes kept) and tried again with
// backoff; the actions in it are answered either way.
func (o *owner) saved(err error) {
	o.saving = false
	batch, replies := o.inflight, o.inflightReplies
	o.inflight, o.inflightReplies = nil, nil
	now := o.d.cfg.Now()
	if err != nil {
		for id, a := range batch {
			if _, newer := o.dirty[id]; !newer {
				o.dirty[id] = a
			}
		}
		o.saveFails++
		wait := min(time.Second<<min(o.saveFails-1, 5), saveBackoffMax)
		o.flushAt = now.Add(wait).UnixMilli()
		o.d.m.storeErrors.Inc()
		o.d.log.Error("alarm store save failed; kept in memory, retrying", "alarms", len(o.dirty),
			"checkpoint", o.applied, "retry_in", wait, "err", err)
	} else {
		o.persisted = o.inflightCkpt
		o.d.checkpoint.Store(o.persisted)
		for id, a := range batch {
			if _, again := o.dirty[id]; !again && a.State.Closed() {
				o.d.view.drop(id)
			}
		}
		o.saveFails = 0
	}
	o.answer(replies)
	switch {
	case len(o.waiting) > 0, err == nil && o.urgent && len(o.dirty) > 0:
		o.startSave() // an action waits, or a burst came during the write
	case err == nil && o.flushAt != 0 && now.UnixMilli() >= o.flushAt:
		o.startSave()
	case err == nil && (len(o.dirty) > 0 || o.applied > o.persisted) && o.flushAt == 0:
		o.flushAt = now.Add(checkpointEvery).UnixMilli()
	}
}

// answer sends actions their answers.
func (o *owner) answer(rs []pendingReply) {
	for _, r := range rs {
		r.reply <- actReply{a: r.a}
	}
}

// flush stores everything now and waits for it (on stop): the batch in
// flight, then the rest. It gives up at the first failed write.
func (o *owner) flush() error {
	for {
		if !o.saving {
			o.startSave()
			if !o.saving {
				return nil // nothing left to store
			}
		}
		err := <-o.saveOut
		o.saved(err)
		if err != nil {
			return err
		}
	}
}

// unstored returns the alarm id if it is held in memory and not yet
// stored (nil otherwise): changed since the last batch, or in the batch being written.
func (o *owner) unstored(id string) *alarm.Alarm {
	if a := o.dirty[id]; a != nil {
		return a
	}
	return o.inflight[id]
}
