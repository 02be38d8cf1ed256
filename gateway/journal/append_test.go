package journal

import (
	"cmp"
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// follower records what Follow gives, from the start of the journal, and
// fails the test on an ID out of order.
type follower struct {
	t    *testing.T
	j    *Journal
	mu   sync.Mutex
	seen []event.Event
	done chan error
}

func follow(t *testing.T, j *Journal) *follower {
	f := &follower{t: t, j: j, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		f.done <- j.Follow(ctx, 0, func(ev event.Event) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			if n := len(f.seen); n > 0 && ev.ID <= f.seen[n-1].ID {
				t.Errorf("Follow gave ID %d after %d", ev.ID, f.seen[n-1].ID)
			}
			f.seen = append(f.seen, ev)
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-f.done; !errors.Is(err, context.Canceled) && !errors.Is(err, ErrClosed) {
			t.Errorf("Follow = %v", err)
		}
	})
	return f
}

// events waits until the follower has been given the journal's last event
// and returns what it was given.
func (f *follower) events() []event.Event {
	f.t.Helper()
	last := f.j.LastID()
	eventually(f.t, "the follower is given every durable event", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.seen) > 0 && f.seen[len(f.seen)-1].ID >= last
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seen)
}

func TestConcurrentAppends(t *testing.T) {
	const writers, each = 32, 25
	reg := prometheus.NewRegistry()
	j := mustOpen(t, t.TempDir(), Options{Registerer: reg})
	f := follow(t, j)

	got := make([][]event.Event, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				ev := sample(w*each + i)
				if err := j.Append(t.Context(), &ev); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				// Once Append returns, the event is durable.
				if id := j.LastID(); id < ev.ID {
					t.Errorf("Append of %d returned with LastID %d", ev.ID, id)
				}
				got[w] = append(got[w], ev)
			}
		})
	}
	wg.Wait()

	var appended []event.Event
	for _, evs := range got {
		appended = append(appended, evs...)
	}
	slices.SortFunc(appended, func(a, b event.Event) int { return cmp.Compare(a.ID, b.ID) })
	if !slices.Equal(ids(appended), idRange(1, writers*each)) {
		t.Fatalf("IDs are not 1..%d, each once: %v", writers*each, ids(appended))
	}
	if seen := f.events(); !reflect.DeepEqual(seen, appended) {
		t.Fatalf("Follow gave %d events %v, want each appended event once in ID order", len(seen), ids(seen))
	}
	if replayed := replayAll(t, j, 0); !reflect.DeepEqual(replayed, appended) {
		t.Fatalf("replay differs from what was appended")
	}
	fsyncs := metric(t, reg, "gridwatch_journal_fsyncs_total")
	appends := metric(t, reg, "gridwatch_journal_appends_total")
	// One directory sync for the first segment, then at most one per batch.
	if appends != writers*each || fsyncs > appends+1 {
		t.Fatalf("%v appends, %v fsyncs", appends, fsyncs)
	}
	t.Logf("%v appends from %d goroutines: %v fsyncs", appends, writers, fsyncs)
}

// hold takes the write token, as a batch being synced does, so that
// appenders queue up; the returned func releases it, and so does the end of
// the test if it fails first.
func hold(t *testing.T, j *Journal) (release func()) {
	j.token <- struct{}{}
	var once sync.Once
	release = func() { once.Do(func() { <-j.token }) }
	t.Cleanup(release)
	return release
}

func TestGroupCommitSharesOneFsync(t *testing.T) {
	const writers = 32
	reg := prometheus.NewRegistry()
	j := mustOpen(t, t.TempDir(), Options{Registerer: reg})
	appendN(t, j, 0, 1) // the segment and its directory entry exist
	before := metric(t, reg, "gridwatch_journal_fsyncs_total")

	release := hold(t, j)
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			ev := sample(w)
			errs <- j.Append(t.Context(), &ev)
		}()
	}
	eventually(t, "32 appenders queued", func() bool { return j.queued() == writers })
	release()
	for range writers {
		if err := receive(t, errs); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	if got := metric(t, reg, "gridwatch_journal_fsyncs_total") - before; got != 1 {
		t.Fatalf("%d queued appends took %v fsyncs, want 1", writers, got)
	}
}

func TestAppendHonoursContext(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir, Options{})

	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	ev := sample(0)
	if err := j.Append(cancelled, &ev); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with a cancelled context = %v", err)
	}
	if ev.ID != 0 || j.queued() != 0 {
		t.Fatal("an Append whose context had ended queued its event")
	}

	// Cancelled while waiting for another batch's fsync.
	release := hold(t, j)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		ev := sample(1)
		done <- j.Append(ctx, &ev)
	}()
	eventually(t, "the append queued", func() bool { return j.queued() == 1 })
	cancel()
	if err := receive(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append = %v, want context.Canceled", err)
	}
	release()
	if got := j.LastID(); got != 0 {
		t.Fatalf("LastID = %d before anything was written", got)
	}
	// The queued event is not dropped: Close writes it.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, dir, Options{})
	if got := replayAll(t, j, 0); len(got) != 1 || got[0].ID != 1 || got[0].Seq != 1 {
		t.Fatalf("after Close and reopen: %v", got)
	}
}

// TestWriteErrorIsNotLatched: a batch that cannot be written fails its
// appenders with ErrBroken and Err reports it; the segment is cut back to
// what was synced, and the next Append writes again (the journal of an
// earlier version stayed broken until a restart).
func TestWriteErrorIsNotLatched(t *testing.T) {
	dir := t.TempDir()
	j := mustOpen(t, dir, Options{})
	f := follow(t, j)
	appendN(t, j, 0, 1)

	release := hold(t, j)
	const writers = 3
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			ev := sample(w)
			errs <- j.Append(t.Context(), &ev)
		}()
	}
	eventually(t, "appenders queued", func() bool { return j.queued() == writers })
	j.file.Close() // the next write fails, as on a dead disk
	release()
	for range writers {
		if err := receive(t, errs); !errors.Is(err, ErrBroken) {
			t.Fatalf("appender of the failed batch got %v, want ErrBroken", err)
		}
	}
	if !errors.Is(j.Err(), ErrBroken) {
		t.Fatalf("Err() = %v, want ErrBroken", j.Err())
	}
	if got := j.LastID(); got != 1 {
		t.Fatalf("LastID = %d, want 1", got)
	}

	// The next append is written: IDs go on after those refused.
	ev := sample(9)
	if err := j.Append(t.Context(), &ev); err != nil {
		t.Fatalf("Append after a failed write = %v, want it written", err)
	}
	if ev.ID != writers+2 {
		t.Errorf("ID after the failed batch = %d, want %d", ev.ID, writers+2)
	}
	if err := j.Err(); err != nil {
		t.Errorf("Err() after a good write = %v, want nil", err)
	}
	if got := ids(f.events()); !slices.Equal(got, []uint64{1, writers + 2}) {
		t.Fatalf("Follow gave %v, want the events written, not the refused ones", got)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	j = mustOpen(t, dir, Options{})
	if got := ids(replayAll(t, j, 0)); !slices.Equal(got, []uint64{1, writers + 2}) {
		t.Fatalf("after reopening, the journal holds %v", got)
	}
}
