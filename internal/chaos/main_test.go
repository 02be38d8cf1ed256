package chaos

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// fullEnv names the variable that runs every fault at full length
// (`make chaos`); without it only the fast subset runs.
const fullEnv = "GRIDWATCH_CHAOS"

// reportEnv names a file the table is also written to.
const reportEnv = "GRIDWATCH_CHAOS_REPORT"

func full() bool { return os.Getenv(fullEnv) == "full" }

// The test binary's shared state, owned by TestMain: the gateway binary
// built once, and the table every fault adds its row to.
var (
	binPath, binErr = "", error(nil)
	table           = &results{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath, binErr = testsvc.BuildGridwatchd(dir)
	start := time.Now()
	code := m.Run()
	table.print(os.Stdout, time.Since(start))
	if p := os.Getenv(reportEnv); p != "" {
		if f, err := os.Create(p); err == nil {
			table.print(f, time.Since(start))
			f.Close()
		} else {
			fmt.Fprintf(os.Stderr, "chaos: write %s: %v\n", p, err)
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// gridwatchd returns the binary TestMain built.
func gridwatchd(t *testing.T) string {
	t.Helper()
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// results is the table of verdicts.
type results struct {
	mu   sync.Mutex
	rows []verdict
}

// add records v and fails t when v lost, invented or left unacknowledged
// anything.
func (r *results) add(t *testing.T, v verdict) {
	t.Helper()
	v.Failed = !v.ok()
	r.mu.Lock()
	r.rows = append(r.rows, v)
	r.mu.Unlock()
	t.Logf("chaos: %s", v.line())
	if v.Failed {
		t.Errorf("%s: lost %d, invented %d, unacknowledged %d of %d presses; %s",
			v.Fault, v.Lost, v.Invented, v.Unacked, v.Sent, strings.Join(v.Notes, "; "))
	}
}

const header = "%-34s %6s %6s %6s %13s %5s %5s %5s %6s %8s  %s\n"

func (v verdict) line() string {
	status := "ok"
	if v.Failed {
		status = "FAIL"
	}
	pages := fmt.Sprintf("%d/%d", v.Pages, v.PagesWant)
	if v.SMS > 0 {
		pages += fmt.Sprintf("+%dsms", v.SMS)
	}
	worst := "-"
	if v.Worst > 0 {
		worst = v.Worst.Round(time.Millisecond).String()
	}
	return fmt.Sprintf(strings.TrimSuffix(header, "\n"), v.Fault, itoa(v.Sent), itoa(v.Acked), itoa(v.Alarms), pages,
		itoa(v.Lost), itoa(v.Dup), itoa(v.Invented), itoa(v.Unacked), worst, status)
}

func itoa(n int) string { return fmt.Sprint(n) }

func (r *results) print(w io.Writer, took time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.rows) == 0 {
		return
	}
	mode := "fast subset"
	if full() {
		mode = "full suite"
	}
	fmt.Fprintf(w, "\ngridwatch chaos report (%s, %s, took %v)\n", mode, time.Now().UTC().Format(time.RFC3339), took.Round(time.Second))
	// By fault number (the tests run in file order).
	slices.SortStableFunc(r.rows, func(a, b verdict) int { return strings.Compare(a.Fault[:1], b.Fault[:1]) })
	fmt.Fprintf(w, header, "fault", "sent", "acked", "alarms", "pages", "lost", "dup", "inv", "unack", "worst", "verdict")
	for _, v := range r.rows {
		fmt.Fprintln(w, v.line())
	}
	for _, v := range r.rows {
		for _, n := range v.Notes {
			fmt.Fprintf(w, "  %s: %s\n", v.Fault, n)
		}
	}
	fmt.Fprintln(w, "sent: presses (one per box); acked: PUBACK seen by the box; alarms: acked presses with their alarm;")
	fmt.Fprintln(w, "pages: step-0 pages delivered/expected (+ those only by SMS); lost: acked presses missing an alarm or a page;")
	fmt.Fprintln(w, "dup: repeated receipts of one page (same alarm id); inv: invented alarms/pages; unack: never acknowledged;")
	fmt.Fprintln(w, "worst: worst press → first receipt of a page (reported, not judged).")
}
