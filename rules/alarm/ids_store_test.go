package alarm

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestStoreKeepsEventIDs: the checkpoint and the ID reservation survive a
// reopen; the reservation may be lowered (a clean stop gives back what was
// not used).
func TestStoreKeepsEventIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alarms.db")
	s := openTestStore(t, path)
	if a, r, err := s.EventIDs(); err != nil || a != 0 || r != 0 {
		t.Fatalf("new store: %d %d %v, want 0 0", a, r, err)
	}
	if err := s.Save(nil, 41); err != nil {
		t.Fatal(err)
	}
	for _, through := range []uint64{1000, 70000, 52} {
		if err := s.ReserveEventIDs(through); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTestStore(t, path)
	if a, r, err := s.EventIDs(); err != nil || a != 41 || r != 52 {
		t.Fatalf("after reopen: applied %d reserved %d (%v), want 41 52", a, r, err)
	}
}

// TestDamagedStoreIsAnError: a store file with garbage pages is refused
// with ErrCorrupt and the file's name; bbolt alone panics on it.
func TestDamagedStoreIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alarms.db")
	s := openTestStore(t, path)
	var g IDGen
	var alarms []*Alarm
	for i := range 300 {
		alarms = append(alarms, sample(&g, int64(1_700_000_000_000+i*1000), "lh-g4-07", Open))
	}
	if err := s.Save(alarms, 300); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	testsvc.DamageBolt(t, path)
	s, err := OpenStore(path)
	if err == nil {
		s.Close()
		t.Fatal("a damaged store opened")
	}
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
		t.Fatalf("OpenStore = %v, want ErrCorrupt naming %s", err, path)
	}
}
