package thresholds

import (
	"context"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Follower gives the journal's durable events as they come.
type Follower interface {
	// Follow calls fn, in ID order, for every durable event after after,
	// waiting for new ones until ctx is done.
	Follow(ctx context.Context, after uint64, fn func(event.Event) error) error
}

// Run follows the journal from the event Restore left off at: the
// devices' own mains and battery events, and the crossings the monitor
// journaled itself, move the thresholds' state as they become durable. It
// returns nil once ctx is done.
func (m *Monitor) Run(ctx context.Context, j Follower) error {
	one := make([]event.Event, 1)
	err := j.Follow(ctx, m.after.Load(), func(ev event.Event) error {
		one[0] = ev
		m.Journaled(one)
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}
