package bench

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/loadgen"
)

// Environment of the full bench (`make bench`, scripts/bench.sh).
const (
	benchEnv      = "GRIDWATCH_BENCH"            // 1: run TestFigures
	secondsEnv    = "GRIDWATCH_BENCH_SECONDS"    // per target, default 40
	boxesEnv      = "GRIDWATCH_BENCH_BOXES"      // default 2200
	pressesEnv    = "GRIDWATCH_BENCH_PRESSES"    // per second, default 10
	backgroundEnv = "GRIDWATCH_BENCH_BACKGROUND" // per second, default 5000
	reportEnv     = "GRIDWATCH_BENCH_REPORT"     // a file the table is also written to
	profileEnv    = "GRIDWATCH_BENCH_PROFILE"    // a directory for gridwatchd's CPU profiles
	targetsEnv    = "GRIDWATCH_BENCH_TARGETS"    // a subset of the table, e.g. "floor-embedded,gridwatchd-embedded"
	fsyncsEnv     = "GRIDWATCH_BENCH_FSYNCS"     // 1: run the targets under strace and count their fsyncs per press
	roundsEnv     = "GRIDWATCH_BENCH_ROUNDS"     // rounds a target's time is cut into, default 4
)

// The full bench's default load: issue 12's measurement (2,200 devices,
// 5,000 telemetry msg/s, 10 presses/s), 40 s a target, so the four
// targets take about 3–4 minutes.
var defaultLoad = load{boxes: 2200, presses: 10, background: 5000, duration: 40 * time.Second, rounds: 4, lostAfter: loadgen.DefaultLostAfter}

// order is the table's: each broker's floor, then gridwatchd on it.
var order = []target{{floorSys, embedded}, {gatewaySys, embedded}, {floorSys, mosquitto}, {gatewaySys, mosquitto}}

// TestFigures is the full bench. It reports; it asserts no latency.
func TestFigures(t *testing.T) {
	if os.Getenv(benchEnv) != "1" {
		t.Skipf("the full bench runs with %s=1 (make bench)", benchEnv)
	}
	l, err := loadFromEnv(defaultLoad, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if l.profileDir != "" {
		if err := os.MkdirAll(l.profileDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	targets, err := pick(order, os.Getenv(targetsEnv))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	loadAtStart := loadAverage()
	rows := runRounds(t, targets, l)
	var b bytes.Buffer
	avg := loadAtStart
	if end := loadAverage(); end != "" && loadAtStart != "" {
		avg = "at start " + loadAtStart + ", at end " + end
	}
	printTable(&b, l, rows, time.Since(start), avg)
	fmt.Print("\n" + b.String())
	if p := os.Getenv(reportEnv); p != "" {
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Errorf("write %s: %v", p, err)
		}
	}
}

// runRounds runs each broker's targets in l.rounds rounds of
// l.duration/l.rounds each, interleaved (floor, gridwatchd, gridwatchd,
// floor, ...), so that what else the machine does in the meantime falls on
// both alike; each target's rounds are then merged into its row. Only the
// first round is profiled.
func runRounds(t *testing.T, targets []target, l load) []row {
	rounds := max(1, l.rounds)
	part := l
	part.duration = l.duration / time.Duration(rounds)
	byTarget := map[target]*row{}
	var rows []*row
	for _, tg := range targets {
		r := &row{target: tg}
		byTarget[tg] = r
		rows = append(rows, r)
	}
	var brokers []string
	for _, tg := range targets {
		if !slices.Contains(brokers, tg.broker) {
			brokers = append(brokers, tg.broker)
		}
	}
	for _, broker := range brokers {
		var pair []target
		for _, tg := range targets {
			if tg.broker == broker {
				pair = append(pair, tg)
			}
		}
		for i := range rounds {
			seq := slices.Clone(pair)
			if i%2 == 1 {
				slices.Reverse(seq)
			}
			for _, tg := range seq {
				pl := part
				if i > 0 {
					pl.profileDir = ""
				}
				t.Run(fmt.Sprintf("%s/round-%d", tg.name(), i+1), func(t *testing.T) {
					res, fsyncs := runTarget(t, tg, pl)
					t.Logf("%s on %s, round %d: presses %d lost %d p50 %.2f p99 %.2f ms", tg.system, tg.broker, i+1, res.Presses, res.Lost, res.P50, res.P99)
					byTarget[tg].add(res, fsyncs)
				})
			}
		}
	}
	out := make([]row, 0, len(rows))
	for _, r := range rows {
		r.r = loadgen.Merge(r.rounds...)
		out = append(out, *r)
	}
	return out
}

// TestSmoke runs every target for a few seconds with a few boxes and
// checks that every press reached a phone. It judges no latency.
func TestSmoke(t *testing.T) {
	if os.Getenv(benchEnv) == "1" {
		t.Skip("the full bench runs instead")
	}
	l := load{boxes: 20, presses: 4, background: 100, duration: 3 * time.Second, lostAfter: 30 * time.Second}
	var rows []row
	for _, tg := range order {
		t.Run(tg.name(), func(t *testing.T) {
			r, _ := runTarget(t, tg, l)
			if r.Presses == 0 || r.Lost != 0 || r.Paged != r.Presses || r.Background == 0 {
				t.Errorf("%s on %s: %+v; want every press paged", tg.system, tg.broker, r)
			}
			rows = append(rows, row{target: tg, r: r})
		})
	}
	var b bytes.Buffer
	printTable(&b, l, rows, 0, "")
	t.Log("\n" + b.String())
}

// pick keeps the targets named in list ("floor-embedded,gridwatchd-mosquitto"), in
// the table's order; an empty list keeps them all.
func pick(all []target, list string) ([]target, error) {
	if strings.TrimSpace(list) == "" {
		return all, nil
	}
	want := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		want[strings.TrimSpace(name)] = true
	}
	var out []target
	for _, tg := range all {
		if want[tg.name()] {
			out = append(out, tg)
			delete(want, tg.name())
		}
	}
	if len(want) > 0 {
		return nil, fmt.Errorf("%s=%q: unknown targets %v; there are floor-embedded, gridwatchd-embedded, floor-mosquitto, gridwatchd-mosquitto", targetsEnv, list, slices.Sorted(maps.Keys(want)))
	}
	return out, nil
}

// loadFromEnv is base with the GRIDWATCH_BENCH_* variables applied.
func loadFromEnv(base load, getenv func(string) string) (load, error) {
	l := base
	num := func(name string, set func(float64)) error {
		v := getenv(name)
		if v == "" {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return fmt.Errorf("%s=%q: want a positive number", name, v)
		}
		set(f)
		return nil
	}
	for _, err := range []error{
		num(secondsEnv, func(f float64) { l.duration = time.Duration(f * float64(time.Second)) }),
		num(boxesEnv, func(f float64) { l.boxes = int(f) }),
		num(roundsEnv, func(f float64) { l.rounds = int(f) }),
		num(pressesEnv, func(f float64) { l.presses = f }),
		num(backgroundEnv, func(f float64) { l.background = f }),
	} {
		if err != nil {
			return l, err
		}
	}
	if l.boxes < 1 {
		return l, fmt.Errorf("%s: at least one light box", boxesEnv)
	}
	l.profileDir = getenv(profileEnv)
	switch v := getenv(fsyncsEnv); v {
	case "", "0":
	case "1":
		l.fsyncs = true
	default:
		return l, fmt.Errorf("%s=%q: want 1 or 0", fsyncsEnv, v)
	}
	return l, nil
}
