package devices

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
)

func TestListOrder(t *testing.T) {
	tr, _, _ := newTracker(t, "lb-2", "lb-1", "cam-9")
	tr.Unregistered("zz", "t/zz", 5)
	tr.Unregistered("aa", "t/aa", 6)
	tr.Seen("lb-2", 10)
	var got []string
	for _, st := range tr.List() {
		got = append(got, st.ID+":"+st.State)
	}
	want := []string{"cam-9:unknown", "lb-1:unknown", "lb-2:online", "aa:unregistered", "zz:unregistered"}
	if !slices.Equal(got, want) {
		t.Fatalf("List: got %v, want %v", got, want)
	}
}

func TestRegistrySwap(t *testing.T) {
	tr, h, _ := newTracker(t, "lb-1", "lb-2")
	tr.Seen("lb-1", 100)
	tr.Seen("lb-2", 100)
	tr.Unregistered("new-1", "t/new-1", 100)

	// Reload: lb-1 removed, new-1 adopted, lb-3 added.
	h.Set(site(t, "lb-2", "new-1", "lb-3"))
	got := map[string]Status{}
	for _, st := range tr.List() {
		if _, dup := got[st.ID]; dup {
			t.Fatalf("List holds %s twice", st.ID)
		}
		got[st.ID] = st
	}
	if _, ok := got["lb-1"]; ok {
		t.Error("lb-1 was removed from the registry but is still listed")
	}
	if st := got["lb-2"]; st.State != Online || !st.Registered {
		t.Errorf("lb-2: got %+v, want registered online", st)
	}
	if st := got["lb-3"]; st.State != Unknown || !st.Registered || st.Kind != "lightbox" {
		t.Errorf("lb-3 (added): got %+v, want registered unknown lightbox", st)
	}
	if st := got["new-1"]; !st.Registered || st.State != Unknown {
		t.Errorf("new-1 (adopted): got %+v, want registered, unknown until heard again", st)
	}
	if len(got) != 3 {
		t.Errorf("List: got %d devices, want 3", len(got))
	}

	// The adopted device is tracked like any other from now on.
	tr.Seen("new-1", 200)
	if st := mustGet(t, tr, "new-1"); st.State != Online {
		t.Errorf("new-1 heard after adoption: got %s, want online", st.State)
	}
	// A device put back after removal starts afresh (its entry was pruned).
	h.Set(site(t, "lb-1", "lb-2"))
	if st := mustGet(t, tr, "lb-1"); st.State != Unknown {
		t.Errorf("lb-1 put back: got %s, want unknown", st.State)
	}
	// A device no longer in the registry is not found, even while its
	// messages still come in.
	tr.Seen("new-1", 300)
	if _, ok := tr.Get("new-1"); ok {
		t.Error("new-1 is no longer registered, yet Get finds it")
	}
}

func TestUnregisteredBound(t *testing.T) {
	tr, _, ch := newTracker(t, "lb-1")
	const extra = 50
	for i := range MaxUnregistered + extra {
		tr.Unregistered(fmt.Sprintf("u-%05d", i), "t", int64(i))
		if i == extra { // hear the very first one again: it becomes recent
			tr.Unregistered("u-00000", "t", int64(i))
		}
	}
	if n := len(ch.take()); n != MaxUnregistered+extra {
		t.Errorf("onChange told of %d new ids, want %d", n, MaxUnregistered+extra)
	}
	list := tr.List()
	strays := list[1:]
	if len(strays) != MaxUnregistered {
		t.Fatalf("List holds %d unregistered ids, want %d", len(strays), MaxUnregistered)
	}
	if _, ok := tr.Get("u-00000"); !ok {
		t.Error("u-00000 was heard again recently but was forgotten")
	}
	for i := 1; i <= extra; i++ {
		if _, ok := tr.Get(fmt.Sprintf("u-%05d", i)); ok {
			t.Errorf("u-%05d is among the least recently heard, yet still kept", i)
		}
	}
	if _, ok := tr.Get(fmt.Sprintf("u-%05d", extra+1)); !ok {
		t.Errorf("u-%05d should be kept", extra+1)
	}
}

// TestConcurrentWriters runs many writers and readers at once (meant for
// -race) and checks that nothing was lost: every device ends online with
// the newest time any writer gave, and onChange was told exactly as many
// times as each device's version says.
func TestConcurrentWriters(t *testing.T) {
	const devs, writers, rounds = 300, 8, 200
	ids := make([]string, devs)
	for i := range ids {
		ids[i] = fmt.Sprintf("lb-%04d", i)
	}
	tr, _, ch := newTracker(t, ids...)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				for i, id := range ids {
					at := int64(r*writers + w)
					switch (i + r + w) % 4 {
					case 0:
						tr.Seen(id, at)
					case 1:
						tr.Telemetry(event.Telemetry{Device: id, TS: at, Received: at, Fields: map[string]any{"w": float64(w)}})
					case 2:
						tr.Rejected(id)
					case 3:
						tr.Unregistered(fmt.Sprintf("x-%d-%d", w, i), "t", at)
					}
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for range 20 {
				if n := len(tr.List()); n < devs {
					t.Errorf("List during writes: %d entries, want at least %d", n, devs)
					return
				}
			}
		})
	}
	wg.Wait()

	told := map[string]uint64{}
	for _, st := range ch.take() {
		told[st.ID]++
	}
	for _, id := range ids {
		st := mustGet(t, tr, id)
		if st.State != Online {
			t.Fatalf("%s: state %s, want online", id, st.State)
		}
		if st.Version != told[id] {
			t.Fatalf("%s: version %d but onChange told %d times", id, st.Version, told[id])
		}
		if st.LastSeenMS < int64((rounds-1)*writers) {
			t.Fatalf("%s: last seen %d, want at least %d", id, st.LastSeenMS, (rounds-1)*writers)
		}
	}
	var rejected uint64
	for _, id := range ids {
		rejected += mustGet(t, tr, id).Rejected
	}
	if want := uint64(devs * writers * rounds / 4); rejected != want {
		t.Errorf("rejected total %d, want %d", rejected, want)
	}
}
