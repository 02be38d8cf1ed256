package devices

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/registry"
)

// site builds a registry of one grid holding the given device ids (all
// lightboxes with a 10 s heartbeat).
func site(t testing.TB, ids ...string) *registry.Registry {
	t.Helper()
	var b strings.Builder
	b.WriteString("grids:\n  - {id: g1, name: 网格1, level: 4}\ndevices:\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "  - {id: %s, kind: lightbox, grid: g1, name: 灯箱%s, heartbeat: 10s}\n", id, id)
	}
	reg, err := registry.Parse("test.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	return reg
}

// changes records what onChange was told.
type changes struct {
	mu  sync.Mutex
	all []Status
}

func (c *changes) add(st Status) {
	c.mu.Lock()
	c.all = append(c.all, st)
	c.mu.Unlock()
}

func (c *changes) take() []Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.all
	c.all = nil
	return out
}

func newTracker(t testing.TB, ids ...string) (*Tracker, *registry.Holder, *changes) {
	h := registry.NewHolder(site(t, ids...))
	c := &changes{}
	return New(h.Get, c.add), h, c
}

func mustGet(t *testing.T, tr *Tracker, id string) Status {
	t.Helper()
	st, ok := tr.Get(id)
	if !ok {
		t.Fatalf("Get(%q): not found", id)
	}
	return st
}
