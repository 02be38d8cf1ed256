package silence

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsite"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// wallClock is a settable wall clock.
type wallClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *wallClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *wallClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

func site(t *testing.T) *registry.Registry {
	t.Helper()
	reg, err := registry.Parse("site.yaml", []byte(testsite.Ladder+testsite.Lightbox("lb-0001", "莲花路12号", "")))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func openStore(t *testing.T, path string) *alarm.Store {
	t.Helper()
	st, err := alarm.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestSetIsStoredBeforeItAnswers: what Put and Remove did is in the
// alarm store when they return, with its audit record, and a new set
// loaded from the store after a restart holds exactly it.
func TestSetIsStoredBeforeItAnswers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alarms.db")
	reg := site(t)
	clk := &wallClock{now: t0}
	open := func(st *alarm.Store) *Set {
		s := New(Config{Store: st, Registry: func() *registry.Registry { return reg }, Now: clk.Now})
		if err := s.Load(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	st := openStore(t, path)
	s := open(st)
	room := permit.Staff("room1")
	for _, sil := range []Silence{
		{ID: "m1", Reason: "检修", Devices: []string{"lb-0001"}, Until: t0.Add(time.Hour)},
		{ID: "t1", Reason: "安装调试", Devices: []string{"lb-0001"}, Test: true},
		{ID: "g1", Reason: "停电检修", Grids: []string{"lh-g4-07"}},
	} {
		if _, err := s.Put(sil, room); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Remove("g1", room); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil { // as a crash would: nothing is flushed later
		t.Fatal(err)
	}

	st = openStore(t, path)
	defer st.Close()
	again := open(st)
	got := again.List()
	if len(got) != 2 || got[0].ID != "m1" || got[1].ID != "t1" || !got[1].Test || got[0].By != "room1" || !got[0].Set.Equal(t0) {
		t.Fatalf("after a restart the set holds %+v, want m1 then the test mode t1, set by room1", got)
	}
	log, err := st.AuditLog(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, rec := range log {
		actions = append(actions, rec.Action+" "+rec.By)
	}
	if want := "silence_set room1,silence_set room1,silence_set room1,silence_removed room1"; strings.Join(actions, ",") != want {
		t.Fatalf("audit log %v, want %s", actions, want)
	}

	// Once m1 has ended it is listed no more, and the next start drops it
	// from the store too.
	clk.Set(t0.Add(time.Hour))
	if got := again.List(); len(got) != 1 || got[0].ID != "t1" {
		t.Fatalf("after m1's until the set lists %+v", got)
	}
	if err := again.Load(); err != nil {
		t.Fatal(err)
	}
	docs, err := st.SilenceDocs()
	if err != nil || len(docs) != 1 || !strings.Contains(string(docs[0]), `"t1"`) {
		t.Fatalf("the store holds %q (%v), want only t1", docs, err)
	}
}

func TestPutAndRemoveCheckWhoAndWhat(t *testing.T) {
	reg := site(t)
	st := openStore(t, filepath.Join(t.TempDir(), "alarms.db"))
	defer st.Close()
	s := New(Config{Store: st, Registry: func() *registry.Registry { return reg }, Now: func() time.Time { return t0 },
		Declared: func(id string) bool { return id == "weekly" }})
	lb := Silence{ID: "m1", Reason: "检修", Devices: []string{"lb-0001"}}
	tests := []struct {
		name string
		s    Silence
		who  permit.Caller
		want error
	}{
		{"a grid member may not", lb, permit.Staff("wang"), ErrForbidden},
		{"unknown staff may not", lb, permit.Staff("nobody"), ErrForbidden},
		{"unknown device", Silence{ID: "x", Reason: "r", Devices: []string{"lb-9999"}}, permit.Staff("room1"), ErrInvalid},
		{"unknown grid", Silence{ID: "x", Reason: "r", Grids: []string{"lh-g4-99"}}, permit.Staff("room1"), ErrInvalid},
		{"a bad silence", Silence{ID: "x", Devices: []string{"lb-0001"}}, permit.Staff("room1"), ErrInvalid},
		{"the rule file's", Silence{ID: "weekly", Reason: "r", Devices: []string{"lb-0001"}}, permit.Staff("room1"), ErrDeclared},
		{"the security room may", lb, permit.Staff("room1"), nil},
		{"the console may", Silence{ID: "all-tamper", Reason: "r", Rules: []string{"tamper"}}, permit.Console, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Put(tt.s, tt.who)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Put = %v, want %v", err, tt.want)
			}
		})
	}
	if got := s.List(); len(got) != 2 {
		t.Fatalf("the set holds %+v, want the two allowed", got)
	}
	if err := s.Remove("m1", permit.Staff("wang")); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a grid member's Remove = %v", err)
	}
	if err := s.Remove("nope", permit.Staff("room1")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Remove of nothing = %v", err)
	}
	if err := s.Remove("weekly", permit.Staff("room1")); !errors.Is(err, ErrDeclared) {
		t.Fatalf("Remove of the file's = %v", err)
	}
	log, err := st.AuditLog(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, rec := range log {
		if rec.Kind == alarm.AuditRefused {
			refused++
		}
	}
	if refused != 3 { // wang's Put, nobody's Put, wang's Remove
		t.Fatalf("%d refusals audited, want 3: %+v", refused, log)
	}
}

// TestMatchersWhileChanging: the engine reads Matchers on its own
// goroutine while operators change the set (run with -race).
func TestMatchersWhileChanging(t *testing.T) {
	s := New(Config{Now: func() time.Time { return t0 }})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			id := []string{"a", "b", "c"}[i%3]
			if err := s.Add(Silence{ID: id, Reason: "r", Devices: []string{"lb-1"}}, alarm.AuditRecord{}); err != nil {
				t.Error(err)
			}
			if i%5 == 0 {
				_, _ = s.Delete(id, alarm.AuditRecord{})
			}
		}
	})
	for range 200 {
		for _, m := range s.Matchers() {
			m.Covers("panic", "lb-1", t0.UnixMilli(), cst, nil)
		}
	}
	wg.Wait()
	if n := len(s.List()); n > 3 {
		t.Fatalf("%d silences, want at most 3 ids", n)
	}
}
