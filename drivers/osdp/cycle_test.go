package osdp

import (
	"slices"
	"testing"
	"time"
)

// TestPollingCycleTime measures a full polling cycle of 16 PDs answering
// ACK, over a pty whose simulator paces replies at the line speed. It logs
// the figures (go test -v -run CycleTime) and checks only what cannot
// depend on a busy machine: a cycle is never shorter than the wire time.
func TestPollingCycleTime(t *testing.T) {
	if testing.Short() {
		t.Skip("measures real cycles")
	}
	addrs := make([]int, 16)
	for i := range addrs {
		addrs[i] = i + 1
	}
	for _, baud := range []int{9600, 115200} {
		r := startRig(t, addrs, baud, func(c *Config) { c.PollInterval = time.Millisecond })
		var cycles []time.Duration
		last := time.Duration(0)
		eventually(t, "11 cycles", func() bool {
			if c := r.cp.LastCycle(); c != last && c > 0 {
				cycles, last = append(cycles, c), c
			}
			return len(cycles) >= 11
		})
		cycles = cycles[1:] // the first may still hold the PDs' connect
		slices.Sort(cycles)
		avg := cycles[len(cycles)/2]
		// POLL and ACK are 9 bytes each with their mark byte.
		wire := 16 * txTime(18, baud)
		t.Logf("16 PDs at %6d baud: median cycle %v (wire time alone %v)", baud, avg.Round(100*time.Microsecond), wire)
		if avg < wire {
			t.Errorf("cycle %v shorter than the wire time %v: the simulator is not pacing", avg, wire)
		}
	}
}
