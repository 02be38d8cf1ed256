package chaos

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// phase is how long a short load runs before and after a file fault.
const phase = 5 * time.Second

// corruptBolt overwrites a bbolt file from its third page on with random
// bytes, keeping its two meta pages and its size: it opens, and then its
// freelist and pages are garbage (the kind of damage that made bbolt
// panic on every start).
func corruptBolt(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("chaos: %v", err)
	}
	const keep = 2 * 4096
	if st.Size() <= keep {
		t.Fatalf("chaos: %s is only %d bytes; nothing past its meta pages to corrupt", path, st.Size())
	}
	junk := make([]byte, st.Size()-keep)
	_, _ = rand.Read(junk)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("chaos: %v", err)
	}
	defer f.Close()
	if _, err := f.WriteAt(junk, keep); err != nil {
		t.Fatalf("chaos: corrupt %s: %v", path, err)
	}
}

// press5s runs the load for one phase and judges it.
func press5s(s *site, ps phones, fault string) verdict {
	l := startLoad(s, pressRate)
	time.Sleep(phase)
	return settle(s, fault, l.stop(), ps, nil, settleWithin)
}

// panicked reports whether a Go program's output shows a panic.
func panicked(out string) bool {
	return strings.Contains(out, "panic:") || strings.Contains(out, "goroutine 1 [")
}

// panicLine returns the line of out that says what panicked.
func panicLine(out string) string {
	for line := range strings.Lines(out) {
		if strings.Contains(line, "panic:") {
			return strings.TrimSpace(tail(line, 300))
		}
	}
	return tail(out, 300)
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// TestChaosCorruptFiles: a corrupt broker.db (sessions only) must not stop
// the gateway: it starts, says so, and pages flow; a corrupt alarms.db
// must stop it with a clear message naming the file, not a panic.
func TestChaosCorruptFiles(t *testing.T) {
	s := newSite(t, siteOpts{boxes: boxesFor(3 * phase)})
	ps := up(t, s)
	if v := press5s(s, ps, "before"); !v.ok() {
		t.Logf("chaos: before the corruption already: %s", v.line())
	}

	// broker.db
	s.gw.Stop()
	corruptBolt(t, filepath.Join(s.dataDir, "broker.db"))
	if err := s.gw.StartErr(); err != nil {
		v := verdict{Fault: "8 corrupt broker.db"}
		v.fail("the gateway did not start: %v", err)
		if panicked(s.gw.LastOutput()) {
			v.note("it panicked: %s", panicLine(s.gw.LastOutput()))
		}
		table.add(t, v)
		// What an operator would do, so the alarms.db case still runs.
		if err := os.Remove(filepath.Join(s.dataDir, "broker.db")); err != nil {
			t.Fatal(err)
		}
		s.gw.Start()
	} else {
		v := press5s(s, ps, "8 corrupt broker.db")
		if !strings.Contains(s.gw.LastOutput(), "broker.db") {
			v.fail("started without a word about broker.db (sessions lost silently)")
		}
		table.add(t, v)
	}

	// alarms.db
	s.gw.Stop()
	corruptBolt(t, filepath.Join(s.dataDir, "alarms.db"))
	v := verdict{Fault: "8 corrupt alarms.db"}
	err := s.gw.StartErr()
	out := s.gw.LastOutput()
	switch {
	case panicked(out):
		v.fail("the gateway panicked (a panic loop under a supervisor): %v", err)
		v.note("it panicked: %s", panicLine(out))
	case err == nil:
		// Rebuilding from the journal is the other acceptable answer.
		if !strings.Contains(out, "alarms.db") {
			v.fail("started without a word about alarms.db")
		} else {
			v.note("started, saying: %s", tail(out, 200))
		}
		s.gw.Stop()
	case strings.Contains(err.Error(), "not ready"):
		v.fail("the gateway neither started nor exited: %v", err)
	case !strings.Contains(out, "alarms.db"):
		v.fail("refused to start without naming alarms.db: %s", tail(out, 300))
	default:
		v.note("refused to start: %s", tail(strings.TrimSpace(out), 200))
	}
	table.add(t, v)
}

// TestChaosJournalDeleted: the journal directory is deleted while the
// gateway is stopped (to free disk); after the restart new presses must
// still raise alarms and page, not be taken for events already handled.
func TestChaosJournalDeleted(t *testing.T) {
	s := newSite(t, siteOpts{boxes: boxesFor(2 * phase)})
	ps := up(t, s)
	if v := press5s(s, ps, "before"); !v.ok() {
		t.Logf("chaos: before the deletion already: %s", v.line())
	}
	s.gw.Stop()
	if err := os.RemoveAll(filepath.Join(s.dataDir, "journal")); err != nil {
		t.Fatal(err)
	}
	s.gw.Start()
	table.add(t, press5s(s, ps, "8 journal deleted"))
}
