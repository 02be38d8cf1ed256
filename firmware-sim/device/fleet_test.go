package device

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/internal/brokertest"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

func loadRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	reg, err := registry.Load("testdata/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestMQTTDevicesLeavesOutWiredOnes(t *testing.T) {
	var got []string
	for _, d := range MQTTDevices(loadRegistry(t)) {
		got = append(got, d.ID)
	}
	want := []string{"cam-0001", "lb-0001", "lb-0002", "rd-0002"}
	if !slices.Equal(got, want) {
		t.Fatalf("MQTT devices = %v, want %v", got, want)
	}
}

func TestFleetBringsEveryDeviceOnline(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	state := brokertest.Subscribe(t, gw, topics.State("+"))
	tel := brokertest.Subscribe(t, gw, topics.Telemetry("+"))
	devs := MQTTDevices(loadRegistry(t))
	f, err := NewFleet(Config{Dial: mqttconn.Dial{Broker: b.URL}, Topics: topics}, devs, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := f.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()

	online, beating := map[string]bool{}, map[string]bool{}
	for len(online) < len(devs) {
		m := brokertest.Next(t, state, "online")
		if _, id := topics.Parse(m.Topic()); string(m.Payload()) == wire.Online {
			online[id] = true
		}
	}
	for len(beating) < len(devs) {
		_, id := topics.Parse(brokertest.Next(t, tel, "telemetry").Topic())
		beating[id] = true
	}
	if _, ok := f.Device("lb-0001"); !ok || len(f.Devices()) != len(devs) {
		t.Fatalf("fleet holds %d devices", len(f.Devices()))
	}
}

func TestNewFleetRejects(t *testing.T) {
	cfg := Config{Dial: mqttconn.Dial{Broker: "tcp://127.0.0.1:1883"}}
	lb := &registry.Device{ID: "lb-1", Kind: registry.Lightbox}
	tests := []struct {
		name string
		devs []*registry.Device
		ramp int
	}{
		{"none", nil, 0},
		{"twice", []*registry.Device{lb, lb}, 0},
		{"bad id", []*registry.Device{{ID: ""}}, 0},
		{"negative ramp", []*registry.Device{lb}, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewFleet(cfg, tc.devs, time_(tc.ramp)); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
