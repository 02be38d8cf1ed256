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
	for _, tc := range []struct {
		baud      int
		pollInput bool // every PD guards a door and is read with ISTAT every turn
	}{{9600, false}, {115200, false}, {9600, true}, {115200, true}} {
		baud := tc.baud
		r := startRig(t, addrs, baud, func(c *Config) {
			c.PollInterval = time.Millisecond
			if tc.pollInput {
				for i := range c.PDs {
					c.PDs[i].Door = &Door{PollInputs: 1}
				}
			}
		})
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
		// POLL and ACK are 9 bytes each with their mark byte; ISTAT is 9
		// and its ISTATR of two inputs 11.
		wire, what := 16*txTime(18, baud), "POLL"
		if tc.pollInput {
			wire, what = 16*txTime(20, baud), "ISTAT"
		}
		t.Logf("16 PDs at %6d baud, %-5s every turn: median cycle %v (wire time alone %v)", baud, what, avg.Round(100*time.Microsecond), wire.Round(100*time.Microsecond))
		if avg < wire {
			t.Errorf("cycle %v shorter than the wire time %v: the simulator is not pacing", avg, wire)
		}
	}
}
