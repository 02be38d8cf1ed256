package escalate

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// gatedTracker is a page tracker whose Sync (the ledger's fsync) hangs
// until open is closed: the desk's store is slow.
type gatedTracker struct {
	*notifier
	open chan struct{}

	mu     sync.Mutex
	synced int
}

func newGatedTracker() *gatedTracker {
	return &gatedTracker{notifier: newNotifier(), open: make(chan struct{})}
}

func (g *gatedTracker) Sync(ctx context.Context) error {
	select {
	case <-g.open:
	case <-ctx.Done():
		return errors.New("ledger write stuck")
	}
	g.mu.Lock()
	g.synced++
	g.mu.Unlock()
	return nil
}

func (g *gatedTracker) AlarmClosed(string) {}

func (g *gatedTracker) syncs() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.synced
}

// storedIDs lists the alarms in the store, any state.
func storedIDs(t *testing.T, st *alarm.Store) []string {
	t.Helper()
	all, err := st.List(alarm.Filter{State: alarm.FilterAll})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range all {
		ids = append(ids, a.ID)
	}
	return ids
}

// TestPressPagedWhileAlarmsAreStored: the desk stores on its writer, not
// in its loop, within checkpointEvery of a change. While the store of the
// first press's alarm hangs, a second press is paged at once; the
// checkpoint claims neither press until the store is written, then both,
// in one more batch.
func TestPressPagedWhileAlarmsAreStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedTracker()
		var lastID uint64
		r := startRig(t, t.TempDir()+"/alarms.db", g.notifier, &lastID, func(c *Config) { c.Notifier = g })
		first := r.send("lb-0001", event.ButtonPressed)
		if got := staffOf(g.take()); !reflect.DeepEqual(got, []string{"chen", "room1", "wang"}) {
			t.Fatalf("first press paged %v", got)
		}
		advance(checkpointEvery) // its store begins, and hangs
		second := r.send("lb-0002", event.ButtonPressed)
		if got := staffOf(g.take()); !reflect.DeepEqual(got, []string{"room1", "sun"}) {
			t.Fatalf("second press paged %v while the first one's store hung, want room1 and sun at once", got)
		}
		if ck := r.desk.Checkpoint(); ck >= first.ID {
			t.Fatalf("checkpoint %d claims event %d while its alarm is not stored", ck, first.ID)
		}
		if ids := storedIDs(t, r.store); len(ids) != 0 {
			t.Fatalf("alarms stored before the ledger was: %v", ids)
		}

		close(g.open)
		advance(checkpointEvery)
		if ck := r.desk.Checkpoint(); ck != second.ID {
			t.Fatalf("checkpoint after the store = %d, want %d", ck, second.ID)
		}
		if ids := storedIDs(t, r.store); len(ids) != 2 {
			t.Fatalf("stored alarms %v, want both presses'", ids)
		}
		if n := g.syncs(); n != 2 {
			t.Fatalf("%d ledger syncs, want 2 (the second press joined one batch)", n)
		}
		r.stop()
	})
}

// TestActAnsweredOnceStored: a staff action is answered only after it is
// stored, as before; the desk keeps paging meanwhile.
func TestActAnsweredOnceStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGatedTracker()
		var lastID uint64
		r := startRig(t, t.TempDir()+"/alarms.db", g.notifier, &lastID, func(c *Config) { c.Notifier = g })
		r.send("lb-0001", event.ButtonPressed)
		id := r.only().ID
		g.take()
		answered := make(chan error, 1)
		go func() {
			_, err := r.desk.Act(context.Background(), event.Action{AlarmID: id, Kind: event.Ack, By: "wang"})
			answered <- err
		}()
		synctest.Wait()
		select {
		case err := <-answered:
			t.Fatalf("ack answered (%v) before it was stored", err)
		default:
		}
		r.send("lb-0002", event.ButtonPressed)
		if got := staffOf(g.take()); !reflect.DeepEqual(got, []string{"room1", "sun"}) {
			t.Fatalf("press during a waiting ack paged %v, want room1 and sun", got)
		}

		close(g.open)
		synctest.Wait()
		select {
		case err := <-answered:
			if err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatal("ack not answered after the store")
		}
		a, ok, err := r.store.Get(id)
		if err != nil || !ok || a.State != alarm.Acknowledged {
			t.Fatalf("stored alarm after the answered ack: %v %v %+v", ok, err, a.State)
		}
		r.stop()
	})
}
