package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/internal/brokertest"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testlog"
)

// commander plays the gateway's rules and broadcasts for these tests: a
// press on a box strobes it and, unless the press says {test: true},
// sounds its siren; a "drill.broadcast" event of lb-0009 broadcasts
// "消防演练" to wang's phone and has lb-0001 speak it.
func commander(t *testing.T, broker string) {
	t.Helper()
	c := brokertest.Client(t, broker, "fake-commander")
	topics := wire.Topics{Root: root}
	send := func(topic string, v any) {
		b, _ := json.Marshal(v)
		c.Publish(topic, 1, false, b) // from the client's goroutine: no wait
	}
	tok := c.Subscribe(root+"/dev/+/evt", 1, func(_ paho.Client, m paho.Message) {
		_, dev := topics.Parse(m.Topic())
		var ev wire.EventMsg
		if json.Unmarshal(m.Payload(), &ev) != nil {
			return
		}
		switch {
		case ev.Type == "button.pressed":
			send(topics.Command(dev), wire.CommandMsg{CID: "c-1", Cmd: "strobe", Args: map[string]any{"seconds": 120}})
			if ev.Data["test"] != true {
				send(topics.Command(dev), wire.CommandMsg{CID: "c-2", Cmd: "siren", Args: map[string]any{"seconds": 60}})
			}
		case ev.Type == "drill.broadcast":
			send(topics.Notify("wang"), event.Notification{Kind: "broadcast", BroadcastID: "B-1", Grid: "lianhua", Title: "消防演练", Text: "消防演练"})
			send(topics.Command("lb-0001"), wire.CommandMsg{CID: "c-3", Cmd: "speak", Args: map[string]any{"text": "消防演练", "broadcast_id": "B-1"}})
		}
	})
	if !tok.WaitTimeout(10e9) || tok.Error() != nil {
		t.Fatalf("commander: subscribe: %v", tok.Error())
	}
}

// drill is a Broadcaster that asks the commander for its drill broadcast.
type drill struct {
	t      *testing.T
	broker string
	sent   []BroadcastMsg
}

func (d *drill) Broadcast(_ context.Context, grid, text string) (string, error) {
	if grid == "nowhere" {
		return "", errors.New(`HTTP 400: broadcast to "nowhere": unknown grid`)
	}
	d.sent = append(d.sent, BroadcastMsg{Grid: grid, Text: text})
	c := brokertest.Client(d.t, d.broker, "drill-console")
	b, _ := json.Marshal(wire.EventMsg{Type: "drill.broadcast", Seq: 1})
	brokertest.Publish(d.t, c, wire.Topics{Root: root}.Event("lb-0009"), 1, false, b)
	return "B-1", nil
}

func TestScenarioSendsBroadcasts(t *testing.T) {
	b := brokertest.Start(t)
	brokertest.NewGateway(t, b.URL, root, nil, "lb-0009")
	commander(t, b.URL)
	s, err := Parse("f.yaml", []byte(`steps:
  - {broadcast: {grid: lianhua, text: 消防演练}}
  - {phone: wang, expect: {kind: broadcast, text: 消防演练}}
  - {device: lb-0001, expect: {cmd: speak}}
  - {broadcast: {grid: nowhere, text: x}}
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Dial: mqttconn.Dial{Broker: b.URL, ConnectTimeout: time.Second}, Topics: wire.Topics{Root: root}}
	if _, err := NewRunner(cfg, s); err == nil || !strings.Contains(err.Error(), "needs the gateway's HTTP API") {
		t.Errorf("a runner without a Broadcaster: %v", err)
	}
	var out testlog.Buffer
	d := &drill{t: t, broker: b.URL}
	cfg.Out, cfg.Broadcaster = &out, d
	r, err := NewRunner(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Run(context.Background())
	var f *Failed
	if !errors.As(err, &f) || len(f.Failures) != 1 || f.Failures[0].Where != "f.yaml:5" ||
		f.Failures[0].Msg != `broadcast to nowhere not sent: HTTP 400: broadcast to "nowhere": unknown grid` {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
	if len(d.sent) != 1 || d.sent[0] != (BroadcastMsg{Grid: "lianhua", Text: "消防演练"}) {
		t.Errorf("sent %+v", d.sent)
	}
	for _, w := range []string{`broadcast B-1 to lianhua: "消防演练"`, `ok    wang got broadcast B-1`, "ok    lb-0001 got command speak"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
}

func TestScenarioExpectsCommandsAndBroadcasts(t *testing.T) {
	b := brokertest.Start(t)
	brokertest.NewGateway(t, b.URL, root, map[string][]string{"lb-0001": {"wang"}}, "lb-0002", "lb-0009")
	commander(t, b.URL)
	out, err := play(t, b.URL, `steps:
  - {device: lb-0001, event: button.pressed}
  - {device: lb-0001, expect: {cmd: strobe, args: {seconds: 120}}, within: 5s}
  - {device: lb-0001, expect: {cmd: siren}}
  - {device: lb-0002, event: button.pressed, data: {test: true}}
  - {device: lb-0002, expect: {cmd: strobe}}
  - {device: lb-0002, expect_none: {cmd: siren}, within: 300ms}
  - {phone: wang, expect_none: {device: lb-0002}, within: 300ms}
  - {device: lb-0009, event: drill.broadcast}
  - {phone: wang, expect: {kind: broadcast, text: 演练}}
  - {device: lb-0001, expect: {cmd: speak, args: {text: 消防演练}}}
  - {phone: wang, reply: ack}
`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, w := range []string{
		"ok    lb-0001 got command strobe {seconds: 120} (cid c-1)",
		"ok    lb-0002 got no command matching {cmd: siren} within 300ms",
		"ok    wang got nothing matching {device: lb-0002} within 300ms",
		`ok    wang got broadcast B-1 "消防演练"`,
		`ok    lb-0001 got command speak {broadcast_id: "B-1", text: "消防演练"}`,
		"wang  ack alarm a-1", // the reply answers the alarm, not the broadcast after it
		"PASS  11 steps",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestScenarioCommandExpectationsFail(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		where string
		want  string
	}{
		{"wrong args", `steps:
  - {device: lb-0001, event: button.pressed}
  - {device: lb-0001, expect: {cmd: strobe, args: {seconds: 5}}, within: 500ms}
`, "f.yaml:3", "lb-0001: no command matching {cmd: strobe, args: {seconds: 5}} within 500ms; got instead: {cmd: "},
		{"no command at all", `steps:
  - {device: lb-0003, expect: {cmd: strobe}, within: 200ms}
`, "f.yaml:2", "lb-0003: no command matching {cmd: strobe} within 200ms; got none"},
		{"a siren that should not sound", `steps:
  - {device: lb-0001, event: button.pressed}
  - {device: lb-0001, expect: {cmd: strobe}}
  - {device: lb-0001, expect_none: {cmd: siren}, within: 10s}
`, "f.yaml:4", "lb-0001: a command matching {cmd: siren} came, none should within 10s: {cmd: siren, args: {seconds: 60}} at +"},
		{"a page that should not come", `steps:
  - {device: lb-0001, event: button.pressed}
  - {phone: wang, expect_none: {device: lb-0001}, within: 10s}
`, "f.yaml:3", "wang: a notification matching {device: lb-0001} came at +"},
		{"no broadcast", `steps:
  - {device: lb-0001, event: button.pressed}
  - {phone: wang, expect: {kind: broadcast}, within: 500ms}
`, "f.yaml:3", "wang: no notification matching {kind: broadcast} within 500ms; got instead: {device: lb-0001, grid: lh-g4-07, rule: panic"},
		{"a broadcast with another text", `steps:
  - {device: lb-0009, event: drill.broadcast}
  - {phone: wang, expect: {kind: broadcast, text: 停电}, within: 500ms}
`, "f.yaml:3", `got instead: {kind: broadcast, grid: lianhua, text: "消防演练"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := brokertest.Start(t)
			brokertest.NewGateway(t, b.URL, root, map[string][]string{"lb-0001": {"wang"}}, "lb-0009")
			commander(t, b.URL)
			out, err := play(t, b.URL, tc.src)
			var f *Failed
			if !errors.As(err, &f) {
				t.Fatalf("err = %v, want *Failed\n%s", err, out)
			}
			if len(f.Failures) != 1 || f.Failures[0].Where != tc.where || !strings.Contains(f.Failures[0].Msg, tc.want) ||
				tc.name == "wrong args" && !strings.Contains(f.Failures[0].Msg, "{cmd: strobe, args: {seconds: 120}} at +") {
				t.Fatalf("failures = %+v\nwant %s: %s", f.Failures, tc.where, tc.want)
			}
		})
	}
}
