package alarm

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

func openTestStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// sample builds an alarm raised at ms in grid, in the given state.
func sample(g *IDGen, ms int64, grid string, st State) *Alarm {
	a := Raise(g.Next(ms), pressTrigger(uint64(ms)), grid, &event.Location{Lat: 33.3, Lon: 111.49}, ms)
	a.Notified = []string{"wang", "room1"}
	a.Step = 0
	a.NextDeadlineMS = ms + 60_000
	a.Undelivered = map[string]int{"room1": 0}
	if st.Closed() {
		if err := a.Apply(event.Action{Kind: event.Resolve, By: "wang", At: ms + 1}); err != nil {
			panic(err)
		}
	}
	a.State = st
	return a
}

func ids(as []*Alarm) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func TestStoreRoundTripAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alarms.db")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	var g IDGen
	open1 := sample(&g, 1000, "lh-g4-07", Open)
	acked := sample(&g, 2000, "lh-g4-08", Acknowledged)
	closed := sample(&g, 3000, "lh-g4-07", Resolved)
	if err := s.Save([]*Alarm{open1, acked, closed}, 42); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTestStore(t, path)
	open, ckpt, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if ckpt != 42 {
		t.Fatalf("checkpoint = %d, want 42", ckpt)
	}
	if !reflect.DeepEqual(open, []*Alarm{open1, acked}) {
		t.Fatalf("Load = %+v\nwant %+v", open, []*Alarm{open1, acked})
	}
	got, ok, err := s.Get(closed.ID)
	if err != nil || !ok || !reflect.DeepEqual(got, closed) {
		t.Fatalf("Get(closed) = %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := s.Get("A-missing"); ok || err != nil {
		t.Fatalf("Get(missing) = %v, %v", ok, err)
	}
	last, err := s.LastID()
	if err != nil || last != closed.ID {
		t.Fatalf("LastID = %q, %v, want %q", last, err, closed.ID)
	}

	// Closing an open alarm later takes it out of the open index.
	if err := open1.Apply(event.Action{Kind: event.Resolve, By: "wang", At: 9000}); err != nil {
		t.Fatal(err)
	}
	if err := s.Save([]*Alarm{open1}, 43); err != nil {
		t.Fatal(err)
	}
	open, ckpt, err = s.Load()
	if err != nil || ckpt != 43 || !reflect.DeepEqual(ids(open), []string{acked.ID}) {
		t.Fatalf("after resolve: Load = %v, %d, %v", ids(open), ckpt, err)
	}
}

func TestStoreSaveIsOneTransaction(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "alarms.db"))
	var g IDGen
	first := sample(&g, 1000, "g", Open)
	if err := s.Save([]*Alarm{first}, 10); err != nil {
		t.Fatal(err)
	}
	good := sample(&g, 2000, "g", Open)
	tests := []struct {
		name   string
		alarms []*Alarm
		ckpt   uint64
		want   string
	}{
		{"bad alarm in the batch", []*Alarm{good, {ID: ""}}, 11, "alarm without id"},
		{"nil alarm", []*Alarm{good, nil}, 11, "nil alarm"},
		{"negative time", []*Alarm{good, {ID: "x", RaisedMS: -1}}, 11, "negative raised_ms"},
		{"checkpoint going back", []*Alarm{good}, 9, "checkpoint 9 is behind the stored 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Save(tt.alarms, tt.ckpt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Save err = %v, want %q", err, tt.want)
			}
			open, ckpt, err := s.Load()
			if err != nil || ckpt != 10 || !reflect.DeepEqual(ids(open), []string{first.ID}) {
				t.Fatalf("a failed Save left a trace: %v, %d, %v", ids(open), ckpt, err)
			}
		})
	}
	// The same checkpoint again is fine (an action with no new event).
	if err := s.Save([]*Alarm{good}, 10); err != nil {
		t.Fatal(err)
	}
}

func TestStoreList(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "alarms.db"))
	var g IDGen
	a1 := sample(&g, 1000, "g1", Open)
	a2 := sample(&g, 2000, "g2", Resolved)
	a3 := sample(&g, 3000, "g1", OnScene)
	a4 := sample(&g, 4000, "g1", Cleared)
	a5 := sample(&g, 5000, "g2", Open)
	a6 := sample(&g, 5000, "g1", Open) // same millisecond as a5
	if err := s.Save([]*Alarm{a1, a2, a3, a4, a5, a6}, 1); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    Filter
		want []*Alarm
	}{
		{"default is open", Filter{}, []*Alarm{a6, a5, a3, a1}},
		{"open", Filter{State: FilterOpen}, []*Alarm{a6, a5, a3, a1}},
		{"all", Filter{State: FilterAll}, []*Alarm{a6, a5, a4, a3, a2, a1}},
		{"all in g1", Filter{State: FilterAll, Grid: "g1"}, []*Alarm{a6, a4, a3, a1}},
		{"open in g2", Filter{Grid: "g2"}, []*Alarm{a5}},
		{"all since 3000", Filter{State: FilterAll, Since: 3000}, []*Alarm{a6, a5, a4, a3}},
		{"open since 3000", Filter{Since: 3000}, []*Alarm{a6, a5, a3}},
		{"all limit 2", Filter{State: FilterAll, Limit: 2}, []*Alarm{a6, a5}},
		{"all g1 limit 3", Filter{State: FilterAll, Grid: "g1", Limit: 3}, []*Alarm{a6, a4, a3}},
		{"open limit 1", Filter{Limit: 1}, []*Alarm{a6}},
		{"unknown grid", Filter{State: FilterAll, Grid: "nowhere"}, nil},
		{"since the future", Filter{State: FilterAll, Since: 6000}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.List(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ids(got), ids(tt.want)) {
				t.Fatalf("List(%+v) = %v, want %v", tt.f, ids(got), ids(tt.want))
			}
			for i := range got {
				if !reflect.DeepEqual(got[i], tt.want[i]) {
					t.Fatalf("alarm %s did not round-trip:\n%+v\n%+v", got[i].ID, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestFilterRejects(t *testing.T) {
	s := openTestStore(t, filepath.Join(t.TempDir(), "alarms.db"))
	for _, f := range []Filter{{State: "closed"}, {State: "OPEN"}, {Limit: -1}, {Since: -5}} {
		if _, err := s.List(f); err == nil || !strings.Contains(err.Error(), "alarm filter") {
			t.Errorf("List(%+v) err = %v, want a filter error", f, err)
		}
	}
	f, err := Filter{Limit: MaxLimit + 1}.Normalize()
	if err != nil || f.Limit != MaxLimit || f.State != FilterOpen {
		t.Fatalf("Normalize = %+v, %v", f, err)
	}
}

func TestOpenStoreRejects(t *testing.T) {
	dir := t.TempDir()
	notBolt := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(notBolt, []byte(strings.Repeat("not a bolt file ", 512)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(notBolt); err == nil || !strings.Contains(err.Error(), notBolt) {
		t.Errorf("OpenStore(junk) err = %v, want an error naming the file", err)
	}

	future := filepath.Join(dir, "future.db")
	db, err := bolt.Open(future, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte(bucketMeta))
		if err != nil {
			return err
		}
		return b.Put([]byte(keyVersion), []byte("99"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenStore(future); err == nil || !strings.Contains(err.Error(), `version "99"`) {
		t.Errorf("OpenStore(future) err = %v, want a version error", err)
	}

	// A file locked by another open store fails after a bounded wait
	// instead of hanging.
	held := filepath.Join(dir, "held.db")
	openTestStore(t, held)
	if _, err := OpenStore(held); !errors.Is(err, bolterrors.ErrTimeout) {
		t.Errorf("second OpenStore err = %v, want a timeout", err)
	}
}
