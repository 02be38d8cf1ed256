package bench

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/loadgen"
)

// loadAverage is the 1-minute load average from /proc/loadavg, or "".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// row is one target's result.
type row struct {
	target
	r      loadgen.Result   // all rounds together
	rounds []loadgen.Result // each round's own
	fsyncs map[string]int   // by call and file, all rounds; nil when not counted
}

// add records one round of the row's target.
func (r *row) add(res loadgen.Result, fsyncs map[string]int) {
	r.rounds = append(r.rounds, res)
	if fsyncs == nil {
		return
	}
	if r.fsyncs == nil {
		r.fsyncs = map[string]int{}
	}
	for k, n := range fsyncs {
		r.fsyncs[k] += n
	}
}

// ratio is a/b as "1.23×", or "-" without a floor figure.
func ratio(a, b float64) string {
	if b <= 0 || a <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// printTable writes the table: every target, its percentiles and each
// as a ratio to the floor's on the same broker.
func printTable(w io.Writer, l load, rows []row, took time.Duration, loadAvg string) {
	fmt.Fprintf(w, "press → first page: %g presses/s over %g telemetry msgs/s from %d light boxes, %v a target%s; %d CPUs, %s %s/%s; whole run %v\n",
		l.presses, l.background, l.boxes, l.duration, roundsText(l), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, took.Round(time.Second))
	if loadAvg != "" {
		fmt.Fprintf(w, "machine load average (1 min) %s: other work on the machine shows in every line's tail\n", loadAvg)
	}
	fmt.Fprintln(w)
	floors := map[string]loadgen.Result{}
	for _, r := range rows {
		if r.system == floorSys {
			floors[r.broker] = r.r
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target      broker   \tpresses\tlost\tp50 ms\tp90 ms\tp99 ms\tmax ms\tp50/floor\tp90/floor\tp99/floor\tmsgs/s\t")
	for _, r := range rows {
		f := floors[r.broker]
		secs := r.r.Seconds
		rate := 0.0
		if secs > 0 {
			rate = float64(r.r.Background+r.r.Presses) / secs
		}
		fmt.Fprintf(tw, "%-11s %-9s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t%.0f\t\n",
			r.system, r.broker, r.r.Presses, r.r.Lost, r.r.P50, r.r.P90, r.r.P99, r.r.Max,
			ratio(r.r.P50, f.P50), ratio(r.r.P90, f.P90), ratio(r.r.P99, f.P99), rate)
	}
	tw.Flush()
	var notes []string
	for _, r := range rows {
		if r.r.Skipped > 0 || r.r.Unclosed > 0 {
			notes = append(notes, fmt.Sprintf("%s on %s: %d press ticks skipped (no box free), %d alarms never seen closed", r.system, r.broker, r.r.Skipped, r.r.Unclosed))
		}
	}
	printRounds(w, rows)
	printFsyncs(w, rows)
	fmt.Fprintln(w, "\ntarget (issue 12): gridwatchd's p99 within 1.25× of the floor's on each broker. Reported, never asserted.")
	if len(notes) > 0 {
		fmt.Fprintln(w, strings.Join(notes, "\n"))
	}
}

// roundsText says how a target's time was cut, or "" for one piece.
func roundsText(l load) string {
	if l.rounds <= 1 {
		return ""
	}
	return fmt.Sprintf(" in %d rounds of %v interleaved with the floor's", l.rounds, l.duration/time.Duration(l.rounds))
}

// printRounds writes gridwatchd's p99/floor round by round on each
// broker: how far the machine moved the tail while the bench ran.
func printRounds(w io.Writer, rows []row) {
	floors := map[string][]loadgen.Result{}
	for _, r := range rows {
		if r.system == floorSys {
			floors[r.broker] = r.rounds
		}
	}
	for _, r := range rows {
		f := floors[r.broker]
		if r.system == floorSys || len(r.rounds) < 2 || len(f) != len(r.rounds) {
			continue
		}
		var ratios []string
		for i, g := range r.rounds {
			ratios = append(ratios, ratio(g.P99, f[i].P99))
		}
		fmt.Fprintf(w, "\n%s on %s, p99/floor round by round: %s", r.system, r.broker, strings.Join(ratios, " "))
	}
	fmt.Fprintln(w)
}
