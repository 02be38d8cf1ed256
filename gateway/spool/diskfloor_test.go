package spool

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestMinFreeBytesKeepsRoomOnARealDisk is issue 11's hole 6 at the spool:
// on a real 8 MiB filesystem a spool bounded only by its size (1 GiB) took
// every byte; with MinFreeBytes it stops short of the floor, sheds what
// does not fit (counted as disk_low, logged once), and takes records again
// when space returns.
func TestMinFreeBytesKeepsRoomOnARealDisk(t *testing.T) {
	fs := testsvc.SmallFS(t, 8<<20)
	const floor = 2 << 20
	x := open(t, filepath.Join(fs, "spool"), Options{MaxBytes: 1 << 30, SegmentBytes: 256 << 10, MinFreeBytes: floor})
	defer x.Close()

	for i := 0; i < 200_000; i += 1000 {
		x.appendN(t, i, i+1000)
		if err := x.Flush(); err != nil {
			t.Fatalf("Flush at %d: %v", i, err)
		}
	}
	free, err := freeBytes(fs)
	if err != nil {
		t.Fatal(err)
	}
	if free < floor {
		t.Fatalf("%d bytes free after spooling, want at least the floor %d", free, floor)
	}
	shed := x.metric(t, "gridwatch_spool_dropped_total", reasonDiskLow)
	if shed == 0 {
		t.Fatal("nothing counted as disk_low though the spool reached the floor")
	}
	if n := strings.Count(x.log.String(), "disk nearly full"); n != 1 {
		t.Errorf("disk-low warning logged %d times, want once:\n%s", n, x.log.String())
	}
	t.Logf("%d bytes free, %v records shed", free, shed)

	// Space returns once InfluxDB took the backlog: records are spooled again.
	got := x.drain(t, 5000)
	x.appendN(t, 300_000, 300_010)
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	after := x.drain(t, 100)
	if len(after) != 10 || after[0] != string(rec(300_000)) {
		t.Fatalf("after the backlog drained (%d records), got %d new records, want 10", len(got), len(after))
	}
	if !strings.Contains(x.log.String(), "disk has room again") {
		t.Errorf("recovery not logged:\n%s", x.log.String())
	}
}
