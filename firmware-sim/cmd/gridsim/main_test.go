package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/internal/brokertest"
	"github.com/gridwatch/gridwatch/firmware-sim/loadgen"
	"github.com/gridwatch/gridwatch/internal/testlog"
)

const root = "test/v1"

var topics = wire.Topics{Root: root}

func gridsim(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCommandLine(t *testing.T) {
	b := brokertest.Start(t)
	brokertest.NewGateway(t, b.URL, root, map[string][]string{"lb-0001": {"wang"}})
	br := "-broker=" + b.URL
	tests := []struct {
		name string
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{"help", []string{"help"}, exitOK, "  scenario      play a scripted rehearsal", ""},
		{"help of a command", []string{"help", "bench"}, exitOK, "-presses string", ""},
		{"no command", nil, exitUsage, "", "usage: gridsim <command>"},
		{"unknown command", []string{"fly"}, exitUsage, "", `unknown command "fly"`},
		{"help of an unknown command", []string{"help", "fly"}, exitUsage, "", `no command "fly"`},
		{"bad flag", []string{"press", "-colour", "red", "lb-0001"}, exitUsage, "", "flag provided but not defined: -colour"},
		{"press without device", []string{"press", br}, exitUsage, "", "name exactly one device"},
		{"press with bad data", []string{"press", "lb-0001", br, "-data", "[1]"}, exitUsage, "", "-data must be a JSON object"},
		{"press", []string{"press", "lb-0004", br, "-root", root}, exitOK, "lb-0004 button.pressed seq=", ""},
		{"press nowhere", []string{"press", "lb-0001", "-broker", "tcp://127.0.0.1:1"}, exitFail, "", "gridsim press: connect to tcp://127.0.0.1:1"},
		{"phone without staff", []string{"phone", br}, exitUsage, "", "name exactly one staff member"},
		{"phone with bad staff", []string{"phone", "wang fang", br}, exitUsage, "", "staff id"},
		{"run without registry", []string{"run", br}, exitUsage, "", "-registry FILE is required"},
		{"run with missing registry", []string{"run", br, "-registry", "testdata/nope.yaml"}, exitUsage, "", "nope.yaml"},
		{"run only unknown", []string{"run", br, "-registry", "testdata/registry.yaml", "-only", "lb-7"}, exitUsage, "", `device "lb-7" is not in the registry`},
		{"run only wired", []string{"run", br, "-registry", "testdata/registry.yaml", "-only", "lb-0006"}, exitUsage, "", "not simulated over MQTT"},
		{"scenario passes", []string{"scenario", "testdata/pass.yaml", br, "-root", root, "-registry", "testdata/registry.yaml"}, exitOK, "PASS  3 steps", ""},
		{"scenario unmet", []string{"scenario", "testdata/unmet.yaml", br, "-root", root}, exitFail, "FAIL", "testdata/unmet.yaml:3: wang: no notification matching {device: lb-0003} within 300ms"},
		{"scenario bad file", []string{"scenario", "testdata/bad.yaml", br}, exitUsage, "", `testdata/bad.yaml:3: at: want a duration like "90s" or "10m", got "soon"`},
		{"scenario stranger", []string{"scenario", "testdata/stranger.yaml", br, "-registry", "testdata/registry.yaml"}, exitUsage, "", "testdata/stranger.yaml:2: device lb-9999 is not in the registry"},
		{"bench bad rate", []string{"bench", br, "-registry", "testdata/registry.yaml", "-presses", "lots"}, exitUsage, "", `rate "lots"`},
		{"run bad injection", []string{"run", br, "-registry", "testdata/registry.yaml", "-only", "lb-0001", "-inject", "30s:lb-0001:flood"}, exitUsage, "", `unknown fault "flood"`},
		{"run injection elsewhere", []string{"run", br, "-registry", "testdata/registry.yaml", "-only", "lb-0001", "-inject", "1s:lb-0002:tamper"}, exitUsage, "", "lb-0002 is not a simulated device"},
		{"run injection shape", []string{"run", br, "-registry", "testdata/registry.yaml", "-inject", "lb-0001:tamper"}, exitUsage, "", "want AFTER:DEVICE:FAULT"},
		{"commission without scope", []string{"commission"}, exitUsage, "", "name devices, or give -grid, -site or -session"},
		{"bench without registry", []string{"bench", br}, exitUsage, "", "-registry FILE is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := gridsim(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errs, tc.err) {
				t.Fatalf("gridsim %v = %d\nstdout:\n%s\nstderr:\n%s\nwant %d, %q in stdout, %q in stderr", tc.args, code, out, errs, tc.code, tc.out, tc.err)
			}
		})
	}
}

func TestPressFlagsAfterTheDevice(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	evts := brokertest.Subscribe(t, gw, topics.Event("lb-0002"))
	code, _, errs := gridsim(t, "press", "lb-0002", "-type", "tamper.open", "-data", `{"door":"front"}`, "-broker", b.URL, "-root", root)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	ev, err := wire.DecodeEvent("lb-0002", brokertest.Next(t, evts, "event").Payload(), 0)
	if err != nil || ev.Type != "tamper.open" || ev.Data["door"] != "front" {
		t.Fatalf("event %+v (%v)", ev, err)
	}
}

func TestRunUntilInterrupted(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	state := brokertest.Subscribe(t, gw, topics.State("+"))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var code int
	var out, errb testlog.Buffer
	wg.Go(func() {
		code = Main(ctx, []string{"run", "-registry", "testdata/registry.yaml", "-only", "lb-0001,cam-0001", "-ramp", "0", "-broker", b.URL, "-root", root}, &out, &errb)
	})
	seen := map[string]string{}
	for len(seen) < 2 {
		m := brokertest.Next(t, state, "online")
		_, id := topics.Parse(m.Topic())
		seen[id] = string(m.Payload())
	}
	cancel()
	wg.Wait()
	if code != exitOK || seen["lb-0001"] != wire.Online || seen["cam-0001"] != wire.Online {
		t.Fatalf("exit %d, states %v\n%s%s", code, seen, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "simulating devices=2") {
		t.Fatalf("output:\n%s", out.String())
	}
}

// TestRunInjectsFaults: -inject rehearses faults on a simulated box in
// order: a tamper, mains lost, then a reboot whose next event (the low
// battery) is seq 1 again.
func TestRunInjectsFaults(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	evts := brokertest.Subscribe(t, gw, topics.Event("lb-0001"))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var out, errb testlog.Buffer
	wg.Go(func() {
		Main(ctx, []string{"run", "-registry", "testdata/registry.yaml", "-only", "lb-0001", "-ramp", "0", "-broker", b.URL, "-root", root,
			"-inject", "0s:lb-0001:tamper,0s:lb-0001:mains-lost,0s:lb-0001:reboot,0s:lb-0001:battery-low"}, &out, &errb)
	})
	defer func() { cancel(); wg.Wait() }()
	var got []string
	for range 3 {
		ev, err := wire.DecodeEvent("lb-0001", brokertest.Next(t, evts, "event").Payload(), 0)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s/%d", ev.Type, ev.Seq))
	}
	slices.Sort(got) // the test's subscriber may take QoS 1 messages out of order
	if want := "battery.low/1 power.mains_lost/2 tamper.open/1"; strings.Join(got, " ") != want {
		t.Errorf("events %v, want %s\n%s", got, want, out.String())
	}
}

func TestBenchJSON(t *testing.T) {
	b := brokertest.Start(t)
	brokertest.NewGateway(t, b.URL, root, map[string][]string{
		"lb-0001": {"wang"}, "lb-0002": {"wang"}, "lb-0003": {"room1"}, "lb-0004": {"room1"}, "lb-0005": {"sun"},
	})
	code, out, errs := gridsim(t, "bench", "-registry", "testdata/registry.yaml", "-broker", b.URL, "-root", root,
		"-presses", "600/m", "-background", "100/s", "-duration", "600ms", "-json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r loadgen.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if r.Presses == 0 || r.Lost != 0 || r.Paged != r.Presses || r.Max <= 0 {
		t.Fatalf("result %+v", r)
	}
}
