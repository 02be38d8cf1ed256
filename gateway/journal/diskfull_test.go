package journal

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestFullDiskRecoversWithoutRestart is issue 11's hole 6 at the journal,
// on a real full filesystem: while the disk is full, appends fail with
// ENOSPC (never acknowledged); once space is freed, the same journal takes
// appends again — before, one failed write broke it until a restart.
func TestFullDiskRecoversWithoutRestart(t *testing.T) {
	fs := testsvc.SmallFS(t, 4<<20)
	dir := filepath.Join(fs, "journal")
	j := mustOpen(t, dir, Options{})
	appendN(t, j, 0, 3)

	filler := filepath.Join(fs, "filler")
	testsvc.FillFS(t, filler)
	var failed error
	for i := 0; i < 200 && failed == nil; i++ { // the segment's last page may still take a few lines
		ev := sample(100 + i)
		failed = j.Append(t.Context(), &ev)
	}
	if !errors.Is(failed, ErrBroken) || !errors.Is(failed, syscall.ENOSPC) {
		t.Fatalf("append on a full disk = %v, want ErrBroken wrapping ENOSPC", failed)
	}
	if !errors.Is(j.Err(), syscall.ENOSPC) {
		t.Errorf("Err() = %v, want the ENOSPC", j.Err())
	}
	written := j.LastID()

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	ev := sample(999)
	if err := j.Append(t.Context(), &ev); err != nil {
		t.Fatalf("append after space was freed = %v, want it written", err)
	}
	if err := j.Err(); err != nil {
		t.Errorf("Err() after space returned = %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j = mustOpen(t, dir, Options{})
	got := ids(replayAll(t, j, 0))
	if want := append(idRange(1, written), ev.ID); !slices.Equal(got, want) {
		t.Fatalf("after reopening, the journal holds %v, want %v (what was acknowledged, nothing refused)", got, want)
	}
}

// TestHeadroomKeepsAppendsGoingOnAFullDisk: with Headroom, the journal
// owns disk blocks ahead of its writes, so presses are still taken after
// something else filled the disk, until that room is used up; the room is
// topped up again once space returns.
func TestHeadroomKeepsAppendsGoingOnAFullDisk(t *testing.T) {
	fs := testsvc.SmallFS(t, 4<<20)
	dir := filepath.Join(fs, "journal")
	reg := prometheus.NewRegistry()
	const room = 64 << 10
	j := mustOpen(t, dir, Options{Headroom: room, Registerer: reg})
	appendN(t, j, 0, 1)
	if got := metric(t, reg, "gridwatch_journal_headroom_bytes"); got < room/2 {
		t.Fatalf("headroom %v bytes, want about %d", got, room)
	}

	filler := filepath.Join(fs, "filler")
	testsvc.FillFS(t, filler)
	lineLen := int64(len(line(t, 2, 2)))
	taken := 0
	var failed error
	for ; failed == nil && taken < 10*room/int(lineLen); taken++ {
		ev := sample(100 + taken)
		failed = j.Append(t.Context(), &ev)
	}
	if min := room / 2 / int(lineLen); taken < min {
		t.Fatalf("only %d appends taken on the full disk, want at least %d (half the headroom)", taken, min)
	}
	if !errors.Is(failed, syscall.ENOSPC) {
		t.Fatalf("once the headroom is used up: %v, want ENOSPC", failed)
	}
	t.Logf("%d appends of %d bytes taken after the disk was full", taken-1, lineLen)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	appendN(t, j, 0, 1)
	if got := metric(t, reg, "gridwatch_journal_headroom_bytes"); got < room/2 {
		t.Fatalf("headroom %v bytes after space returned, want about %d", got, room)
	}
}
