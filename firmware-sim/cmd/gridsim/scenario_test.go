package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testlog"
)

// TestScenarioCommandsAndBroadcastsAgainstGridwatchd plays a scenario
// against a real gridwatchd and its built-in rules: a panic on lb-0001
// strobes and sounds the box (with the rule's args) and pages the
// security room; lb-0002, in a commissioning session's test mode, strobes
// but its siren stays off and nobody is paged; a broadcast the scenario
// sends as the security room (over the HTTP API) reaches its phone and is
// spoken by lb-0001.
func TestScenarioCommandsAndBroadcastsAgainstGridwatchd(t *testing.T) {
	gw, dir, mqttAddr := commissionGateway(t, "auth: false")
	api, err := newAPIClient(gw.HTTP, "", "room1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := api.startSession(ctx, []string{"lb-0002"}, "", false, time.Hour, "scenario test"); err != nil {
		t.Fatalf("commissioning session (test mode) for lb-0002: %v", err)
	}
	file := filepath.Join(dir, "drill.yaml")
	err = os.WriteFile(file, []byte(`steps:
  - {device: lb-0001, event: button.pressed}
  - {device: lb-0001, expect: {cmd: strobe, args: {seconds: 120}}, within: 30s}
  - {device: lb-0001, expect: {cmd: siren, args: {seconds: 60}}, within: 30s}
  - {phone: room1, expect: {device: lb-0001, rule: panic, step: 0}, within: 30s}
  - {device: lb-0002, event: button.pressed, data: {by: installer}}
  - {device: lb-0002, expect: {cmd: strobe}, within: 30s}
  - {device: lb-0002, expect_none: {cmd: siren}, within: 3s}
  - {phone: room1, expect_none: {device: lb-0002}, within: 3s}
  - {broadcast: {grid: lianhua, text: 今晚八点消防演练}}
  - {phone: room1, expect: {kind: broadcast, text: 消防演练}, within: 60s}
  - {device: lb-0001, expect: {cmd: speak, args: {text: 今晚八点消防演练}}, within: 60s}
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut testlog.Buffer
	code := Main(ctx, []string{"scenario", file, "-registry=" + filepath.Join(dir, "registry.yaml"),
		"-broker=tcp://" + mqttAddr, "-root=" + root, "-api=" + gw.HTTP, "-by=room1"}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{
		"ok    lb-0001 got command strobe {seconds: 120}",
		"ok    lb-0001 got command siren {seconds: 60}",
		"ok    room1 got lb-0001 step 0 red",
		"ok    lb-0002 got command strobe",
		"ok    room1 got nothing matching {device: lb-0002} within 3s",
		`ok    room1 got broadcast B`,
		`ok    lb-0001 got command speak {broadcast_id: "B`,
		`broadcast B`,
		"PASS  11 steps",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
