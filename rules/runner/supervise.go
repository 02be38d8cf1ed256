package runner

import (
	"context"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Alive records a sign of life that is not an event (telemetry, presence,
// a serial poll answered). It never waits for the engine.
func (r *Runner) Alive(id string, at time.Time) {
	if _, ok := r.reg().Device(id); !ok {
		return // not supervised; and signs stay bounded by the registry
	}
	r.signMu.Lock()
	defer r.signMu.Unlock()
	if r.signs == nil {
		r.signs = make(map[string]time.Time)
	}
	if at.After(r.signs[id]) {
		r.signs[id] = at
	}
}

// handOverSigns gives the engine the signs of life gathered since the
// last call. The caller holds mu.
func (r *Runner) handOverSigns() {
	r.signMu.Lock()
	signs := r.signs
	r.signs = nil
	r.signMu.Unlock()
	if len(signs) == 0 {
		return
	}
	reg := r.reg()
	for id, at := range signs {
		if dev, ok := reg.Device(id); ok {
			r.engine.Alive(id, dev, at)
		}
	}
}

// supervise runs the engine's deadlines: every second (or sooner when one
// is due) it asks the engine which devices fell silent or spoke again, and
// journals those derived events; they come back from the journal like any
// other, where the offline rule raises and clears its alarm.
func (r *Runner) supervise(ctx context.Context) {
	timer := time.NewTimer(time.Second)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			r.tick(ctx)
			timer.Reset(r.nextTick())
		}
	}
}

// tick hands the engine the signs of life and journals what it derives.
func (r *Runner) tick(ctx context.Context) {
	now := r.now()
	r.mu.Lock()
	r.handOverSigns()
	derived := r.engine.Tick(now)
	r.mu.Unlock()
	for i := range derived {
		ev := derived[i]
		ev.Source, ev.Received = event.SourceGateway, now.UnixMilli()
		if err := r.journal.Append(ctx, &ev); err != nil && ctx.Err() == nil {
			r.log.Error("derived event not journaled", "type", ev.Type, "device", ev.Device, "err", err)
		}
	}
}

// nextTick is how long supervision waits: a second, or less when a
// deadline is due sooner.
func (r *Runner) nextTick() time.Duration {
	r.mu.Lock()
	next, ok := r.engine.NextDeadline()
	r.mu.Unlock()
	wait := time.Second
	if d := next.Sub(r.now()); ok && d < wait {
		wait = max(d, 10*time.Millisecond)
	}
	return wait
}
