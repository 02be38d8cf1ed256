package journal

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// TestFollowGivesEveryEventOnceInOrder: a follower that starts behind the
// in-memory tail reads from disk, then from memory; one that falls behind
// the tail while it is busy goes back to disk; either way it is given
// every durable event once, in ID order, across segments.
func TestFollowGivesEveryEventOnceInOrder(t *testing.T) {
	tests := []struct {
		name   string
		tail   int
		before int    // events appended before following
		after  uint64 // follow after this ID
		stall  int    // events appended while the follower is stuck
	}{
		{"from memory", 64, 10, 4, 10},
		{"from disk, then memory", 4, 30, 3, 2},
		{"falls behind, back to disk", 4, 5, 0, 40},
		{"from the start of an empty journal", 8, 0, 0, 20},
		{"after everything", 8, 6, 6, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustOpen(t, t.TempDir(), Options{SegmentBytes: 400, Tail: tt.tail})
			appendN(t, j, 0, tt.before)
			stuck, unstick := make(chan struct{}), make(chan struct{})
			got := make(chan event.Event, 1000)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() {
				first := true
				done <- j.Follow(ctx, tt.after, func(ev event.Event) error {
					if first && tt.stall > 0 {
						first = false
						close(stuck)
						<-unstick
					}
					got <- ev
					return nil
				})
			}()
			if tt.stall > 0 {
				if tt.before > int(tt.after) {
					<-stuck
				}
				appendN(t, j, tt.before, tt.stall)
				if tt.before <= int(tt.after) {
					<-stuck
				}
				close(unstick)
			}
			total := tt.before + tt.stall
			var ids []uint64
			for len(ids) < total-int(tt.after) {
				select {
				case ev := <-got:
					ids = append(ids, ev.ID)
				case <-time.After(20 * time.Second):
					t.Fatalf("given %v, want %d..%d", ids, tt.after+1, total)
				}
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Follow = %v, want context.Canceled", err)
			}
			if want := idRange(tt.after+1, uint64(total)); !slices.Equal(ids, want) {
				t.Fatalf("given %v, want %v", ids, want)
			}
		})
	}
}

// TestAppendDoesNotWaitForFollowers: a follower stuck on an event (the
// rules, a slow database) holds up no appender: the events' durability
// does not depend on what is done with them.
func TestAppendDoesNotWaitForFollowers(t *testing.T) {
	j := mustOpen(t, t.TempDir(), Options{Tail: 4})
	stuck, unstick := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- j.Follow(t.Context(), 0, func(event.Event) error {
			select {
			case <-stuck:
			default:
				close(stuck)
			}
			<-unstick
			return nil
		})
	}()
	appendN(t, j, 0, 1)
	<-stuck
	appended := make(chan struct{})
	go func() {
		appendN(t, j, 1, 20)
		close(appended)
	}()
	select {
	case <-appended:
	case <-time.After(20 * time.Second):
		t.Fatal("Append waits for a follower")
	}
	close(unstick)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("Follow after Close = %v, want ErrClosed once everything was given", err)
	}
}

// TestFollowStopsAtFnError: fn's error ends Follow and is returned as is.
func TestFollowStopsAtFnError(t *testing.T) {
	j := mustOpen(t, t.TempDir(), Options{})
	appendN(t, j, 0, 3)
	stop := errors.New("stop")
	var seen []uint64
	err := j.Follow(t.Context(), 0, func(ev event.Event) error {
		seen = append(seen, ev.ID)
		if ev.ID == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || !slices.Equal(seen, []uint64{1, 2}) {
		t.Fatalf("Follow = %v after %v, want fn's error after 1, 2", err, seen)
	}
}
