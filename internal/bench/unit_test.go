package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/loadgen"
)

func TestLoadFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	l, err := loadFromEnv(defaultLoad, env(map[string]string{secondsEnv: "7.5", boxesEnv: "300", profileEnv: "/tmp/p", fsyncsEnv: "1", roundsEnv: "3"}))
	if err != nil {
		t.Fatal(err)
	}
	if l.duration != 7500*time.Millisecond || l.boxes != 300 || l.presses != 10 || l.background != 5000 || l.profileDir != "/tmp/p" || !l.fsyncs || l.rounds != 3 {
		t.Fatalf("load %+v", l)
	}
	for _, bad := range []map[string]string{{secondsEnv: "soon"}, {pressesEnv: "-1"}, {boxesEnv: "0.5"}, {backgroundEnv: "0"}, {fsyncsEnv: "yes"}} {
		if _, err := loadFromEnv(defaultLoad, env(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestTableGivesRatiosToTheFloorOfTheSameBroker(t *testing.T) {
	rows := []row{
		{target: target{floorSys, embedded}, r: loadgen.Result{Presses: 400, P50: 1, P90: 1.5, P99: 2, Max: 3, Background: 20000, Seconds: 4},
			rounds: []loadgen.Result{{P99: 2}, {P99: 4}}, fsyncs: map[string]int{"fsync journal/N.jsonl": 400}},
		{target: target{gatewaySys, embedded}, r: loadgen.Result{Presses: 400, Lost: 1, P50: 2, P90: 3, P99: 2.5, Max: 9, Background: 20000, Seconds: 4},
			rounds: []loadgen.Result{{P99: 3}, {P99: 2}}, fsyncs: map[string]int{"fsync journal/N.jsonl": 400, "fdatasync alarms.db": 800, "fdatasync broker.db": 2}},
		{target: target{floorSys, mosquitto}, r: loadgen.Result{Presses: 400, P50: 4, P90: 5, P99: 8, Max: 9, Background: 20000, Seconds: 4}},
		{target: target{gatewaySys, mosquitto}, r: loadgen.Result{Presses: 400, P50: 2, P90: 5, P99: 10, Max: 20, Background: 20000, Seconds: 4, Skipped: 3}},
	}
	var b bytes.Buffer
	printTable(&b, defaultLoad, rows, time.Minute, "at start 0.50, at end 3.10")
	out := b.String()
	lines := strings.Split(out, "\n")
	find := func(prefix string) string {
		for _, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), prefix) {
				return l
			}
		}
		t.Fatalf("no line %q in\n%s", prefix, out)
		return ""
	}
	for prefix, want := range map[string][]string{
		"gridwatchd  embedded":  {"2.00×", "2.00×", "1.25×", "5100", " 1 "},
		"gridwatchd  mosquitto": {"0.50×", "1.00×", "1.25×"},
		"floor       embedded":  {"1.00×", "5100"},
	} {
		l := find(prefix)
		for _, w := range want {
			if !strings.Contains(l, w) {
				t.Errorf("line %q lacks %q", l, w)
			}
		}
	}
	if !strings.Contains(out, "floor       embedded    1.00 in all; 1.00 fsync journal/N.jsonl\n") ||
		!strings.Contains(out, "gridwatchd  embedded    3.00 in all; 2.00 fdatasync alarms.db; 1.00 fsync journal/N.jsonl\n") {
		t.Errorf("fsyncs per press (broker.db's 0.5 %% left out):\n%s", out)
	}
	if !strings.Contains(out, "gridwatchd on embedded, p99/floor round by round: 1.50× 0.50×") || strings.Contains(out, "gridwatchd on mosquitto, p99/floor") {
		t.Errorf("rounds (only where both have several):\n%s", out)
	}
	if !strings.Contains(out, "40s a target in 4 rounds of 10s interleaved with the floor's") {
		t.Errorf("header:\n%s", out)
	}
	if !strings.Contains(out, "load average (1 min) at start 0.50, at end 3.10") || !strings.Contains(out, "gridwatchd on mosquitto: 3 press ticks skipped") || !strings.Contains(out, "10 presses/s over 5000 telemetry msgs/s from 2200 light boxes") {
		t.Errorf("table:\n%s", out)
	}
}

func TestPick(t *testing.T) {
	got, err := pick(order, " gridwatchd-mosquitto,floor-embedded")
	if err != nil || len(got) != 2 || got[0] != (target{floorSys, embedded}) || got[1] != (target{gatewaySys, mosquitto}) {
		t.Fatalf("pick: %v %v", got, err)
	}
	if all, _ := pick(order, ""); len(all) != 4 {
		t.Fatalf("empty list keeps %d", len(all))
	}
	if _, err := pick(order, "floor-nats"); err == nil {
		t.Fatal("an unknown target accepted")
	}
}
