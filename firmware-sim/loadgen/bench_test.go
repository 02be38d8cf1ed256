package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/internal/brokertest"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

const root = "test/v1"

// pages is who the fake gateway notifies, as the default policy would.
var pages = map[string][]string{
	"lb-0001": {"wang", "room1"}, "lb-0002": {"wang", "room1"},
	"lb-0003": {"room1"}, "lb-0004": {"room1"}, "lb-0005": {"sun"},
}

func bench(t *testing.T, broker string, lostAfter time.Duration) Result {
	t.Helper()
	reg, err := registry.Load("testdata/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Config{
		Dial: mqttconn.Dial{Broker: broker}, Topics: wire.Topics{Root: root}, Registry: reg,
		PressRate: 20, BackgroundRate: 500, Devices: 10, Publishers: 2,
		Duration: time.Second, LostAfter: lostAfter,
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestBenchMeasuresEveryPress(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.NewGateway(t, b.URL, root, pages)
	r := bench(t, b.URL, 5*time.Second)

	// The phones resolve each alarm once paged; the last resolve may still
	// be on its way to the gateway when the bench returns.
	brokertest.WaitFor(t, "a resolve for every alarm", func() bool {
		_, replies, _, _ := gw.Snapshot()
		return len(replies) >= r.Presses
	})
	events, replies, joined, tel := gw.Snapshot()
	if r.Presses == 0 || r.Lost != 0 || r.Paged != r.Presses || len(events) != r.Presses {
		t.Fatalf("result %+v; gateway saw %d presses", r, len(events))
	}
	if joined != 0 {
		t.Fatalf("%d presses hit a light box whose alarm was still open", joined)
	}
	if len(replies) != r.Presses {
		t.Fatalf("%d resolves for %d alarms", len(replies), r.Presses)
	}
	for _, rep := range replies {
		if rep.Action != "resolve" {
			t.Fatalf("reply %+v, want resolve", rep)
		}
	}
	if !(0 < r.P50 && r.P50 <= r.P90 && r.P90 <= r.P99 && r.P99 <= r.Max) {
		t.Fatalf("latencies out of order: %+v", r)
	}
	if r.Background == 0 || tel == 0 || tel > r.Background || r.BackgroundRate <= 0 {
		t.Fatalf("background: sent %d, gateway got %d, rate %.1f", r.Background, tel, r.BackgroundRate)
	}
	if r.Lightboxes != 5 || r.Phones != 3 || r.BgDevices != 6 {
		t.Fatalf("setup %+v", r)
	}
}

func TestBenchCountsLostPresses(t *testing.T) {
	b := brokertest.Start(t)
	brokertest.NewGateway(t, b.URL, root, pages, "lb-0003") // never pages for lb-0003
	r := bench(t, b.URL, time.Second)
	if r.Presses < 3 || r.Lost != 1 || r.Paged != r.Presses-1 {
		t.Fatalf("result %+v, want exactly lb-0003 lost", r)
	}
}

func TestNewRejects(t *testing.T) {
	reg, err := registry.Load("testdata/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dial := mqttconn.Dial{Broker: "tcp://127.0.0.1:1883"}
	for name, cfg := range map[string]Config{
		"no registry":   {Dial: dial},
		"no broker":     {Registry: reg},
		"negative rate": {Dial: dial, Registry: reg, PressRate: -1},
		"negative time": {Dial: dial, Registry: reg, Duration: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
