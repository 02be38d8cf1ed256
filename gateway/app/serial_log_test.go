package app_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestSerialLogLinesNameTheirBusOnce: a serial bus's log lines carry
// bus=<name> once. The gateway and the driver each added it, so every line
// said bus=osdp-x bus=osdp-x.
func TestSerialLogLinesNameTheirBusOnce(t *testing.T) {
	// The ports fail to open, and each bus says so.
	dir := t.TempDir()
	s := startSerialSite(t, `  - {id: rd-0001, kind: reader, grid: lh-g4-07, name: 莲花苑门禁, osdp: {port: "`+filepath.Join(dir, "ttyGONE0")+`", address: 1}}
  - {id: io-0003, kind: io, grid: lh-g4-07, name: 莲花路30号, modbus: {port: "`+filepath.Join(dir, "ttyGONE1")+`", unit: 3}}
`, "")
	for _, tc := range []struct{ msg, bus string }{
		{"osdp: serial port failed", "bus=osdp-ttyGONE0"},
		{"modbus: serial port failed", "bus=modbus-ttyGONE1"},
	} {
		var lines []string
		testsvc.Eventually(t, 30*time.Second, tc.msg+" logged", func() bool {
			lines = s.logs.Lines(tc.msg)
			return len(lines) > 0
		})
		for _, l := range lines {
			if n := strings.Count(l, "bus="); n != 1 || !strings.Contains(l, tc.bus) {
				t.Errorf("want %s once, got bus= %d times: %s", tc.bus, n, l)
			}
		}
	}
}
