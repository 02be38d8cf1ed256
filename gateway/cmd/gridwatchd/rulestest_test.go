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
