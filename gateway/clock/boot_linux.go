package clock

import (
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ReadBoot reads the running kernel's boot id and its boot-time clock
// (CLOCK_BOOTTIME: monotonic, and counting time suspended).
func ReadBoot() (id string, sinceBoot time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", 0, false
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return "", 0, false
	}
	return strings.TrimSpace(string(b)), time.Duration(ts.Nano()), true
}
