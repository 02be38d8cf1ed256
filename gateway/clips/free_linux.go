package clips

import (
	"fmt"
	"syscall"
)

// freeBytes is the space on dir's filesystem an unprivileged writer may
// still use.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("clips: statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * st.Bsize, nil
}
