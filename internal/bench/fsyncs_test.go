package bench

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fsyncTrace runs a target under strace, tracing only fsync and
// fdatasync (seccomp-bpf: the rest of the process runs untraced), so the
// bench can count the fsyncs each target makes per press: a figure of
// the code, not of the machine's load, unlike the latencies.
type fsyncTrace struct {
	out     string // strace's output
	wrapper string // a script that runs the target under strace
	from    int64  // offset in out where the load began
}

// traceFsyncs writes a wrapper of bin into dir that runs it under strace.
func traceFsyncs(t testing.TB, dir, bin string) *fsyncTrace {
	t.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Fatalf("%s=1 needs strace (apt-get install strace): %v", fsyncsEnv, err)
	}
	tr := &fsyncTrace{out: filepath.Join(dir, "fsyncs.strace"), wrapper: filepath.Join(dir, "traced-"+filepath.Base(bin))}
	script := fmt.Sprintf("#!/bin/sh\nexec %q -f --seccomp-bpf -qq -e trace=fsync,fdatasync -y -o %q -- %q \"$@\"\n", strace, tr.out, bin)
	if err := os.WriteFile(tr.wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return tr
}

// mark notes where the load begins: fsyncs of the start are not counted.
func (tr *fsyncTrace) mark() {
	if fi, err := os.Stat(tr.out); err == nil {
		tr.from = fi.Size()
	}
}

// syncCall is one fsync or fdatasync line of strace -y: the call and the
// file its descriptor named.
var syncCall = regexp.MustCompile(`\b(fsync|fdatasync)\(\d+<([^>]*)>`)

// count returns the fsyncs since mark by call and file ("fdatasync
// broker.db"): files are named from the data directory down, with
// numbers (journal segments) folded.
func (tr *fsyncTrace) count() (map[string]int, error) {
	f, err := os.Open(tr.out)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(tr.from, io.SeekStart); err != nil {
		return nil, err
	}
	digits := regexp.MustCompile(`[0-9]{6,}`)
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := syncCall.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		file := m[2]
		if i := strings.LastIndex(file, "/data/"); i >= 0 {
			file = file[i+len("/data/"):]
		} else {
			file = filepath.Base(file)
		}
		counts[m[1]+" "+digits.ReplaceAllString(file, "N")]++
	}
	return counts, sc.Err()
}

// printFsyncs writes each traced target's fsyncs per press, by file.
func printFsyncs(w io.Writer, rows []row) {
	var any bool
	for _, r := range rows {
		if r.fsyncs == nil {
			continue
		}
		if !any {
			fmt.Fprintln(w, "\nfsyncs per press (strace, from the start of the load to its end; every file, the alarm's path or not):")
			any = true
		}
		total := 0
		for _, n := range r.fsyncs {
			total += n
		}
		per := func(n int) string {
			if r.r.Presses == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", float64(n)/float64(r.r.Presses))
		}
		fmt.Fprintf(w, "  %-11s %-9s %6s in all", r.system, r.broker, per(total))
		keys := slices.SortedFunc(maps.Keys(r.fsyncs), func(a, b string) int { return r.fsyncs[b] - r.fsyncs[a] })
		for _, k := range keys {
			if r.fsyncs[k]*50 < total { // under 2 %: left out
				continue
			}
			fmt.Fprintf(w, "; %s %s", per(r.fsyncs[k]), k)
		}
		fmt.Fprintln(w)
	}
}
