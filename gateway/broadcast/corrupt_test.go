package broadcast

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestDamagedStoreIsSetAside: a broadcasts.db with garbage pages no longer
// crashes the gateway (bbolt panicked on it at every start): it is set
// aside and a fresh store takes broadcasts.
func TestDamagedStoreIsSetAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broadcasts.db")
	n, c := &fakeNotifier{got: map[string]event.Notification{}}, &fakeCommander{}
	s := open(t, path, n, c)
	if _, err := s.Send(context.Background(), "lianhua", "notice", permit.Staff("room1")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	testsvc.DamageBolt(t, path)

	s = open(t, path, n, c)
	defer s.Close()
	if _, err := s.Send(context.Background(), "lianhua", "notice again", permit.Staff("room1")); err != nil {
		t.Fatalf("send on the fresh store: %v", err)
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 1 {
		t.Fatalf("damaged file set aside as %v, want one file", aside)
	}
}
