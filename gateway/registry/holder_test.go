package registry

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestHolderReload(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "registry.yaml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	h := NewHolder(nil)
	if r := h.Get(); r == nil || len(r.Devices()) != 0 {
		t.Fatalf("NewHolder(nil).Get() = %v, want an empty registry", r)
	}

	write(tree)
	if err := h.Reload(path); err != nil {
		t.Fatal(err)
	}
	good := h.Get()
	if _, ok := good.Device("d1"); !ok {
		t.Fatal("reloaded registry lacks d1")
	}

	write(tree + "  - {id: d2, kind: lightbox, grid: nowhere}\n")
	err := h.Reload(path)
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.Problems) != 1 {
		t.Fatalf("Reload of a bad file: %v, want one problem", err)
	}
	if h.Get() != good {
		t.Fatal("a failed reload replaced the registry")
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := h.Reload(path); err == nil || h.Get() != good {
		t.Fatalf("Reload of a missing file: err %v; the registry must stay", err)
	}

	h.Set(nil)
	if r := h.Get(); r == nil || len(r.Grids()) != 0 {
		t.Fatal("Set(nil) must leave an empty registry")
	}
}

// TestHolderConcurrent has readers use the registry while it is swapped;
// run with -race.
func TestHolderConcurrent(t *testing.T) {
	a, b := mustParse(t, tree), Empty()
	h := NewHolder(a)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				r := h.Get()
				if r != a && r != b {
					t.Error("Get returned a registry never set")
					return
				}
				_ = r.Ancestors("compound")
			}
		}()
	}
	for i := range 1000 {
		if i%2 == 0 {
			h.Set(b)
		} else {
			h.Set(a)
		}
	}
	wg.Wait()
}
