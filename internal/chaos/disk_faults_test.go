package chaos

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of size at dir for the test (as root), and
// unmounts it when the test ends, after the gateway is gone.
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the disk-full fault mounts a small tmpfs: run as root")
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the disk-full fault needs it", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("chaos: umount %s: %v: %s", dir, err, out)
		}
	})
}

// fill writes path until the filesystem is full (ENOSPC) and returns how
// much it wrote.
func fill(path string) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	var n int64
	for {
		w, err := f.Write(chunk)
		n += int64(w)
		if errors.Is(err, syscall.ENOSPC) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// TestChaosDiskFull: the data directory's filesystem (a 64 MiB tmpfs)
// fills up under load, then the space is freed. Nothing acknowledged may
// be lost while it is full, and presses after the freeing must be
// acknowledged, alarmed and paged without a restart.
func TestChaosDiskFull(t *testing.T) {
	requireFull(t)
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	mountTmpfs(t, data, "64m")
	const before, full, after = 5 * time.Second, 20 * time.Second, 20 * time.Second
	s := newSite(t, siteOpts{boxes: boxesFor(before + full + after), dataDir: data})
	ps := up(t, s)
	l := startLoad(s, pressRate)
	time.Sleep(before)
	filler := filepath.Join(data, "filler")
	n, err := fill(filler)
	if err != nil {
		t.Fatalf("chaos: fill %s: %v", data, err)
	}
	time.Sleep(full)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	time.Sleep(after)
	presses := l.stop()
	v := settle(s, "6 disk full 20s, freed", presses, ps, nil, settleWithin)
	v.note("filled the last %d MiB of the data directory's 64 MiB", n>>20)
	if !healthy(s) {
		v.fail("the gateway no longer answers /healthz")
	}
	table.add(t, v)
}
