package device

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/internal/brokertest"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

const root = "test/v1"

var topics = wire.Topics{Root: root}

// start runs a device until the test ends and waits until it is ready.
func start(t *testing.T, b *brokertest.Broker, reg *registry.Device) *Device {
	t.Helper()
	d, err := New(Config{Dial: mqttconn.Dial{Broker: b.URL}, Topics: topics, Seed: 7}, reg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := d.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	select {
	case <-d.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("device not ready within 10s")
	}
	return d
}

func TestDeviceSaysOnlineHeartbeatsAndOffline(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	state := brokertest.Subscribe(t, gw, topics.State("lb-0001"))
	tel := brokertest.Subscribe(t, gw, topics.Telemetry("lb-0001"))

	interval := 100 * time.Millisecond
	d, err := New(Config{Dial: mqttconn.Dial{Broker: b.URL}, Topics: topics, Seed: 1},
		&registry.Device{ID: "lb-0001", Kind: registry.Lightbox, Heartbeat: interval})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	if m := brokertest.Next(t, state, "online"); string(m.Payload()) != wire.Online || m.Qos() != 1 {
		t.Fatalf("state = %q (qos %d), want online", m.Payload(), m.Qos())
	}
	var last int64
	for i := range 3 {
		m := brokertest.Next(t, tel, "telemetry")
		got, err := wire.DecodeTelemetry("lb-0001", m.Payload(), 0)
		if err != nil {
			t.Fatalf("heartbeat %d rejected by the gateway's decoder: %v", i, err)
		}
		for _, f := range []string{"battery_v", "mains", "temp_c", "rssi_dbm"} {
			if _, ok := got.Fields[f]; !ok {
				t.Errorf("heartbeat %d lacks %s: %s", i, f, m.Payload())
			}
		}
		// A timer never fires early: consecutive beats are at least one
		// interval apart (ts has millisecond resolution).
		if last != 0 && got.TS-last < interval.Milliseconds()-1 {
			t.Errorf("beats %d ms apart, interval is %v", got.TS-last, interval)
		}
		last = got.TS
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if m := brokertest.Next(t, state, "offline"); string(m.Payload()) != wire.Offline {
		t.Fatalf("state after stop = %q, want offline", m.Payload())
	}
	// The broker keeps it: a late subscriber sees the device offline.
	late := brokertest.Client(t, b.URL, "late")
	if m := brokertest.Next(t, brokertest.Subscribe(t, late, topics.State("lb-0001")), "retained state"); string(m.Payload()) != wire.Offline || !m.Retained() {
		t.Fatalf("retained state = %q retained=%v, want offline retained", m.Payload(), m.Retained())
	}
}

func TestDeviceWillAndReconnect(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	state := brokertest.Subscribe(t, gw, topics.State("lb-0002"))
	acks := brokertest.Subscribe(t, gw, topics.CommandAck("lb-0002"))
	start(t, b, &registry.Device{ID: "lb-0002", Kind: registry.Lightbox, Heartbeat: time.Hour})
	if m := brokertest.Next(t, state, "online"); string(m.Payload()) != wire.Online {
		t.Fatalf("state = %q, want online", m.Payload())
	}

	restore := b.Cut(t, "lb-0002") // the link drops: the broker speaks the will
	if m := brokertest.Next(t, state, "will"); string(m.Payload()) != wire.Offline {
		t.Fatalf("will = %q, want offline", m.Payload())
	}
	restore() // the link comes back: the device reconnects by itself
	if m := brokertest.Next(t, state, "online again"); string(m.Payload()) != wire.Online {
		t.Fatalf("after reconnect state = %q, want online", m.Payload())
	}
	// The command subscription came back with the reconnect.
	brokertest.Publish(t, gw, topics.Command("lb-0002"), 1, false, []byte(`{"cid":"c-1","cmd":"siren"}`))
	var ack wire.CommandAckMsg
	if err := json.Unmarshal(brokertest.Next(t, acks, "ack after reconnect").Payload(), &ack); err != nil || ack.CID != "c-1" || !ack.OK {
		t.Fatalf("ack = %+v (%v), want c-1 ok", ack, err)
	}
}

func TestDeviceAnswersCommands(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	acks := brokertest.Subscribe(t, gw, topics.CommandAck("lb-0001"))
	start(t, b, &registry.Device{ID: "lb-0001", Kind: registry.Lightbox, Heartbeat: time.Hour})

	tests := []struct {
		name    string
		payload string
		want    wire.CommandAckMsg
	}{
		{"strobe", `{"cid":"c-1","cmd":"strobe","args":{"seconds":120}}`, wire.CommandAckMsg{CID: "c-1", OK: true}},
		{"speak", `{"cid":"c-2","cmd":"speak","args":{"text":"谨防诈骗"}}`, wire.CommandAckMsg{CID: "c-2", OK: true}},
		{"unknown command", `{"cid":"c-3","cmd":"fly"}`, wire.CommandAckMsg{CID: "c-3", Error: `unknown command "fly"`}},
		{"no cmd", `{"cid":"c-4"}`, wire.CommandAckMsg{CID: "c-4", Error: "command without cmd"}},
		{"wrong type", `{"cid":"c-5","cmd":7}`, wire.CommandAckMsg{CID: "c-5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			brokertest.Publish(t, gw, topics.Command("lb-0001"), 1, false, []byte(tc.payload))
			m := brokertest.Next(t, acks, "ack")
			got, err := wire.DecodeCommandAck("lb-0001", m.Payload())
			if err != nil {
				t.Fatalf("ack rejected by the gateway's decoder: %v", err)
			}
			if got.ID != tc.want.CID || got.OK != tc.want.OK {
				t.Fatalf("ack = %+v, want %+v", got, tc.want)
			}
			if tc.want.Error != "" && got.Error != tc.want.Error {
				t.Fatalf("ack error = %q, want %q", got.Error, tc.want.Error)
			}
			if !got.OK && got.Error == "" {
				t.Fatal("refusal without a reason")
			}
		})
	}
	t.Run("no cid gets no answer", func(t *testing.T) {
		brokertest.Publish(t, gw, topics.Command("lb-0001"), 1, false, []byte(`not json`))
		brokertest.Publish(t, gw, topics.Command("lb-0001"), 1, false, []byte(`{"cmd":"strobe"}`))
		brokertest.Publish(t, gw, topics.Command("lb-0001"), 1, false, []byte(`{"cid":"c-9","cmd":"ping"}`))
		var ack wire.CommandAckMsg
		_ = json.Unmarshal(brokertest.Next(t, acks, "ack").Payload(), &ack)
		if ack.CID != "c-9" {
			t.Fatalf("first ack after two cid-less commands is %+v, want c-9", ack)
		}
	})
}

func TestDeviceEmitNumbersEvents(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	evts := brokertest.Subscribe(t, gw, topics.Event("lb-0001"))
	d := start(t, b, &registry.Device{ID: "lb-0001", Kind: registry.Lightbox, Heartbeat: time.Hour})
	for want := int64(1); want <= 3; want++ {
		seq, err := d.Emit(context.Background(), "tamper.open", map[string]any{"door": "front"})
		if err != nil {
			t.Fatal(err)
		}
		ev, err := wire.DecodeEvent("lb-0001", brokertest.Next(t, evts, "event").Payload(), 0)
		if err != nil {
			t.Fatalf("event rejected by the gateway's decoder: %v", err)
		}
		if seq != want || ev.Seq != want || ev.Type != "tamper.open" || ev.Data["door"] != "front" || ev.TS == 0 {
			t.Fatalf("emit %d: seq %d, event %+v", want, seq, ev)
		}
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	good := mqttconn.Dial{Broker: "tcp://127.0.0.1:1883"}
	tests := []struct {
		name string
		dial mqttconn.Dial
		dev  *registry.Device
	}{
		{"nil device", good, nil},
		{"bad id", good, &registry.Device{ID: "lb 1"}},
		{"negative heartbeat", good, &registry.Device{ID: "lb-1", Heartbeat: -time.Second}},
		{"no broker", mqttconn.Dial{}, &registry.Device{ID: "lb-1"}},
		{"bad scheme", mqttconn.Dial{Broker: "http://x:1"}, &registry.Device{ID: "lb-1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(Config{Dial: tc.dial}, tc.dev); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
