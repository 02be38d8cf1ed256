package deliver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// idleWait bounds how long the worker sleeps with nothing due, so that a
// clock that jumps is noticed.
const idleWait = time.Minute

// Run delivers pending notifications until ctx is cancelled, then waits for
// the sends in flight (their contexts are cancelled too) and returns nil.
// A send cut short by the shutdown is not counted as a try; it goes out
// again on the next Run.
func (o *Outbox) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		next := o.dispatch(ctx, &wg)
		timer.Reset(next)
		select {
		case <-ctx.Done():
			return nil
		case <-o.wake:
		case <-timer.C:
		}
	}
}

// dispatch starts a send for every due record that is not in flight, as
// far as workers are free, and returns how long until the next one is due.
func (o *Outbox) dispatch(ctx context.Context, wg *sync.WaitGroup) time.Duration {
	nowMS := o.cfg.Now().UnixMilli()
	wait := idleWait
	o.mu.Lock()
	defer o.mu.Unlock()
	var due []uint64
	for seq, r := range o.pending {
		if o.inflight[seq] {
			continue
		}
		if d := time.Duration(r.NextMS-nowMS) * time.Millisecond; d > 0 {
			wait = min(wait, d)
			continue
		}
		due = append(due, seq)
	}
	// Oldest first; a finishing worker pokes the loop for the rest.
	slices.Sort(due)
	for _, seq := range due {
		if len(o.inflight) >= o.cfg.Workers {
			break
		}
		o.inflight[seq] = true
		rc := *o.pending[seq]
		wg.Go(func() { o.deliver(ctx, seq, &rc) })
	}
	return wait
}

// deliver makes one try for record seq and settles the outcome.
func (o *Outbox) deliver(ctx context.Context, seq uint64, r *record) {
	defer o.poke()
	actx, cancel := context.WithTimeout(ctx, o.cfg.AttemptTimeout)
	err := o.cfg.Channel.Send(actx, r.Staff, r.Note)
	timedOut := err != nil && errors.Is(actx.Err(), context.DeadlineExceeded)
	cancel()
	if err != nil && ctx.Err() != nil {
		// Shutting down: not a try; it stays pending as it was.
		o.settle(seq, nil, "")
		return
	}
	o.m.attempt(o.name, err, timedOut)
	now := o.cfg.Now()
	log := o.log.With("staff", r.Staff, "alarm", r.Note.AlarmID, "step", r.Note.Step)
	switch {
	case err == nil:
		o.m.seconds.WithLabelValues(o.name).Observe(max(0, float64(now.UnixMilli()-r.QueuedMS)/1e3))
		log.Debug("delivered", "attempts", r.Attempts+1)
		o.settle(seq, nil, "delivered")
		if o.cfg.Delivered != nil {
			o.cfg.Delivered(r.Staff, r.Note, o.name)
		}
	case IsPermanent(err):
		o.m.deliveries.WithLabelValues(o.name, outcomeDropped).Inc()
		log.Error("delivery failed permanently; dropped", "attempts", r.Attempts+1, "err", err)
		o.settle(seq, nil, "dropped")
		if o.cfg.Failed != nil {
			o.cfg.Failed(r.Staff, r.Note, o.name, err.Error())
		}
	case now.Sub(time.UnixMilli(r.QueuedMS)) >= o.cfg.MaxAge:
		o.m.deliveries.WithLabelValues(o.name, outcomeExpired).Inc()
		log.Error("delivery still failing after max age; dropped", "attempts", r.Attempts+1,
			"max_age", o.cfg.MaxAge, "err", err)
		o.settle(seq, nil, "expired")
		if o.cfg.Failed != nil {
			o.cfg.Failed(r.Staff, r.Note, o.name, "still failing after "+o.cfg.MaxAge.String()+": "+err.Error())
		}
	default:
		r.Attempts++
		wait := o.backoff.Delay(r.Attempts)
		r.NextMS = now.Add(wait).UnixMilli()
		log.Warn("delivery failed; will retry", "attempt", r.Attempts, "retry_in", wait, "err", err)
		o.settle(seq, r, "retry")
	}
}

// settle ends a try: with how "" the record is left as it was; with a
// record it is stored updated (a retry); otherwise it is removed. A store
// failure is logged and memory follows the outcome anyway: at worst a
// delivered notification goes out once more after a restart.
func (o *Outbox) settle(seq uint64, r *record, how string) {
	var err error
	switch {
	case how == "":
	case r != nil:
		err = o.put(seq, r)
	default:
		err = o.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketName).Delete(seqKey(seq)) })
	}
	if err != nil {
		o.log.Error("outbox store failed", "what", how, "err", fmt.Errorf("outbox %s: %w", o.name, err))
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.inflight, seq)
	switch {
	case how == "":
	case r != nil:
		o.pending[seq] = r
	default:
		delete(o.pending, seq)
	}
	o.m.pending.WithLabelValues(o.name).Set(float64(len(o.pending)))
}

// put stores record seq.
func (o *Outbox) put(seq uint64, r *record) error {
	v, err := r.encode()
	if err != nil {
		return err
	}
	return o.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketName).Put(seqKey(seq), v) })
}
