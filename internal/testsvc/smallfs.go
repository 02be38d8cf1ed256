package testsvc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SmallFS mounts a tmpfs of size bytes on a new directory under the test's
// temporary directory and returns it, for tests that must hit a real full
// disk (ENOSPC). It is unmounted when the test ends. Mounting needs root
// (CI runs as root): where it fails the test is skipped with the reason,
// unless GRIDWATCH_REQUIRE_SERVICES=1, when it fails.
func SmallFS(t testing.TB, size int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "smallfs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("testsvc: %v", err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0755", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := fmt.Sprintf("testsvc: cannot mount a %d-byte tmpfs for a full-disk test (needs root): %v: %s", size, err, out)
		if os.Getenv(requireEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("testsvc: umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// FillFS writes a file at path until the filesystem holding it is full
// (ENOSPC), fsync'd, and returns its size. Remove the file to free the
// space again.
func FillFS(t testing.TB, path string) int64 {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatalf("testsvc: fill: %v", err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	var n int64
	for {
		w, err := f.Write(buf)
		n += int64(w)
		if err != nil {
			break // ENOSPC: full
		}
	}
	_ = f.Sync()
	return n
}
