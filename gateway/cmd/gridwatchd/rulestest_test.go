package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/rules/rulefile"
)

func TestRulesTestCommand(t *testing.T) {
	reg := filepath.Join("..", "..", "..", "rules", "engine", "testdata", "registry.yaml")
	events := filepath.Join("..", "..", "..", "rules", "engine", "testdata", "events.jsonl")
	var out, errs bytes.Buffer
	if err := rulesCmd([]string{"test", "-registry", reg, "-events", events}, &out, &errs); err != nil {
		t.Fatalf("rules test: %v\n%s%s", err, out.String(), errs.String())
	}
	builtin, err := rulefile.BuiltinFile()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("%d test cases, 0 failed", len(builtin.Tests)), "open    red     panic", "step 1 at ", "2 alarms still open"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// A rule file whose own test case expects what the rules do not do fails.
	bad := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(bad, []byte(`rules:
  - {id: panic, types: [button.pressed], severity: red, title: "{{device}} 一键报警"}
tests:
  - name: expects orange
    events: [{at: 0s, device: lb-0001, type: button.pressed}]
    expect: [{at: 0s, rule: panic, device: lb-0001, severity: orange}]
`), 0o600)
	out.Reset()
	err = rulesCmd([]string{"test", "-registry", reg, "-rules", bad}, &out, &errs)
	if err == nil || !strings.Contains(out.String(), "FAIL expects orange") {
		t.Errorf("a failing case passed: err %v\n%s", err, out.String())
	}
}

// TestRulesTestPolledDevicesNotOffline: the dry run over a log in which an
// OSDP reader and a Modbus module say nothing for ten minutes does not
// report them offline (they answer their bus's polls, which the journal
// does not hold); a light box on MQTT silent as long is.
func TestRulesTestPolledDevicesNotOffline(t *testing.T) {
	reg := filepath.Join("..", "..", "..", "rules", "engine", "testdata", "registry.yaml")
	events := filepath.Join(t.TempDir(), "events.jsonl")
	const t0 = 1767578400000 // 2026-01-05 10:00 CST
	var log strings.Builder
	for i, line := range []struct {
		at       int64
		dev, typ string
	}{
		{0, "rd-0001", "card.read"},
		{0, "io-0003", "tamper.closed"},
		{0, "lb-0002", "motion"},
		{600_000, "cam-0001", "motion"},
	} {
		fmt.Fprintf(&log, `{"id":%d,"device":%q,"type":%q,"ts":%d,"rx":%d}`+"\n", i+1, line.dev, line.typ, t0+line.at, t0+line.at)
	}
	if err := os.WriteFile(events, []byte(log.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if err := rulesCmd([]string{"test", "-registry", reg, "-events", events}, &out, &errs); err != nil {
		t.Fatalf("rules test: %v\n%s%s", err, out.String(), errs.String())
	}
	if !strings.Contains(out.String(), "open    yellow  offline          lb-0002") {
		t.Errorf("the silent MQTT light box is not reported offline:\n%s", out.String())
	}
	for _, dev := range []string{"rd-0001", "io-0003"} {
		if strings.Contains(out.String(), "offline          "+dev) {
			t.Errorf("serial-polled %s reported offline:\n%s", dev, out.String())
		}
	}
}
