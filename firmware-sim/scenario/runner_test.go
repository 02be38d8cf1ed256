package scenario

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/internal/brokertest"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/internal/testlog"
)

const root = "test/v1"

func play(t *testing.T, broker, src string) (string, error) {
	t.Helper()
	s, err := Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var out testlog.Buffer
	r, err := NewRunner(Config{Dial: mqttconn.Dial{Broker: broker, ConnectTimeout: time.Second}, Topics: wire.Topics{Root: root}, Out: &out}, s)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Run(context.Background())
	return out.String(), err
}

func TestScenarioPasses(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.NewGateway(t, b.URL, root, map[string][]string{"lb-0001": {"wang", "room1"}})
	out, err := play(t, b.URL, `steps:
  - {at: 0s, device: lb-0001, event: button.pressed, data: {by: installer}}
  - {at: 0s, device: lb-0002, telemetry: {mains: false, battery_v: 11.2}}
  - {at: 0s, phone: wang, expect: {device: lb-0001, step: 0, severity: red}, within: 5s}
  - {at: 0s, phone: room1, expect: {device: lb-0001}}
  - {at: 50ms, phone: wang, reply: ack, note: on my way}
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	brokertest.WaitFor(t, "the ack", func() bool { _, r, _, _ := gw.Snapshot(); return len(r) == 1 })
	events, replies, _, tel := gw.Snapshot()
	if len(events) != 1 || events[0].Type != "button.pressed" || events[0].Seq == 0 || events[0].Data["by"] != "installer" {
		t.Errorf("gateway got events %+v", events)
	}
	if replies[0] != (wire.ReplyMsg{AlarmID: "a-1", Action: "ack", Note: "on my way"}) {
		t.Errorf("gateway got reply %+v", replies[0])
	}
	if tel != 1 {
		t.Errorf("gateway got %d telemetry messages, want 1", tel)
	}
	for _, w := range []string{"lb-0001  button.pressed seq=", "ok    wang got lb-0001 step 0 red", "wang  ack alarm a-1", "PASS  5 steps"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestScenarioFailsWhenExpectationsAreNotMet(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		where string
		want  string
	}{
		{"nobody paged", `steps:
  - {device: lb-0003, event: button.pressed}
  - {phone: wang, expect: {device: lb-0003}, within: 300ms}
`, "f.yaml:3", "wang: no notification matching {device: lb-0003} within 300ms; got none"},
		{"someone else paged", `steps:
  - {device: lb-0001, event: button.pressed}
  - {phone: wang, expect: {device: lb-0001, step: 1}, within: 2s}
`, "f.yaml:3", "got instead: {device: lb-0001, grid: lh-g4-07, rule: panic, severity: red, step: 0}"},
		{"a second press joins the open alarm", `steps:
  - {device: lb-0001, event: button.pressed}
  - {phone: wang, expect: {device: lb-0001}}
  - {device: lb-0001, event: button.pressed}
  - {phone: wang, expect: {device: lb-0001}, within: 300ms}
`, "f.yaml:5", "no notification matching {device: lb-0001}"},
		{"nothing to reply to", `steps:
  - {phone: wang, reply: arrive}
`, "f.yaml:2", "wang: no alarm received yet, nothing to arrive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := brokertest.Start(t)
			brokertest.NewGateway(t, b.URL, root, map[string][]string{"lb-0001": {"wang"}, "lb-0003": {"wang"}}, "lb-0003")
			out, err := play(t, b.URL, tc.src)
			var f *Failed
			if !errors.As(err, &f) {
				t.Fatalf("err = %v, want *Failed\n%s", err, out)
			}
			if len(f.Failures) != 1 || f.Failures[0].Where != tc.where || !strings.Contains(f.Failures[0].Msg, tc.want) {
				t.Fatalf("failures = %+v\nwant %s: %s", f.Failures, tc.where, tc.want)
			}
			if !strings.Contains(out, "FAIL") {
				t.Errorf("output does not say FAIL:\n%s", out)
			}
		})
	}
}

func TestScenarioWithoutBroker(t *testing.T) {
	_, err := play(t, "tcp://127.0.0.1:1", "steps:\n  - {device: lb-1, event: button.pressed}\n")
	var f *Failed
	if err == nil || errors.As(err, &f) || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("err = %v, want a connect error", err)
	}
}
