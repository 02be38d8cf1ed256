package device

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/internal/brokertest"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
)

func TestPressPublishesOneAcknowledgedEvent(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	evts := brokertest.Subscribe(t, gw, topics.Event("lb-0001"))
	now := time.UnixMilli(1732345678123)
	p, err := Press(context.Background(), PressRequest{
		Dial: mqttconn.Dial{Broker: b.URL}, Topics: topics, Device: "lb-0001",
		Data: map[string]any{"k": "v"}, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := brokertest.Next(t, evts, "press")
	ev, err := wire.DecodeEvent("lb-0001", m.Payload(), 0)
	if err != nil {
		t.Fatalf("press rejected by the gateway's decoder: %v", err)
	}
	if m.Qos() != 1 || ev.Type != "button.pressed" || ev.TS != now.UnixMilli() || ev.Seq != now.UnixMicro() || ev.Data["k"] != "v" {
		t.Fatalf("got qos %d %+v", m.Qos(), ev)
	}
	if p.Msg.Seq != ev.Seq || p.Topic != topics.Event("lb-0001") {
		t.Fatalf("Pressed = %+v", p)
	}
}

func TestPressFailsClearly(t *testing.T) {
	b := brokertest.Start(t)
	tests := []struct {
		name string
		req  PressRequest
		want string
	}{
		{"bad device id", PressRequest{Dial: mqttconn.Dial{Broker: b.URL}, Device: "lb/1"}, "device id"},
		{"bad type", PressRequest{Dial: mqttconn.Dial{Broker: b.URL}, Device: "lb-1", Type: "Button Pressed"}, "event type"},
		{"bad broker", PressRequest{Dial: mqttconn.Dial{Broker: "127.0.0.1:1883"}, Device: "lb-1"}, "scheme"},
		{"nobody listening", PressRequest{Dial: mqttconn.Dial{Broker: "tcp://127.0.0.1:1", ConnectTimeout: time.Second}, Device: "lb-1"}, "connect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Press(context.Background(), tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
