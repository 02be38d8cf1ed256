package mqttlink

import (
	"context"
	"strconv"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

const patience = 30 * time.Second // generous: the machine may be busy

type handlerFunc func(ctx context.Context, topic string, payload []byte) error

func (f handlerFunc) Handle(ctx context.Context, topic string, payload []byte) error {
	return f(ctx, topic, payload)
}

// TestConnectionMetricsFollowTheBroker takes a real Mosquitto away and
// back under a running link: gridwatch_mqtt_connected follows it and
// gridwatch_mqtt_reconnects_total counts the return, and events flow again.
func TestConnectionMetricsFollowTheBroker(t *testing.T) {
	mq := testsvc.Mosquitto(t)
	reg := prometheus.NewRegistry()
	got := make(chan string, 16)
	topics := wire.Topics{Root: wire.DefaultRoot}
	l, err := New(Config{
		URL: mq.URL, ClientID: "gw-" + strconv.FormatInt(time.Now().UnixNano(), 36), Topics: topics,
		DataDir: t.TempDir(), Registerer: reg,
		Handler: handlerFunc(func(_ context.Context, topic string, _ []byte) error { got <- topic; return nil }),
	})
	if err != nil {
		t.Fatal(err)
	}
	gauge := func() float64 { return testutil.ToFloat64(l.connState) }
	reconnects := func() float64 { return testutil.ToFloat64(l.reconnects) }
	if gauge() != 0 || l.Ready() == nil {
		t.Fatal("connected before Run")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(patience):
			t.Error("Run did not return")
		}
		if gauge() != 0 {
			t.Error("gridwatch_mqtt_connected still 1 after Run returned")
		}
	}()

	testsvc.Eventually(t, patience, "link up", func() bool { return gauge() == 1 && l.Ready() == nil })
	if n := reconnects(); n != 0 {
		t.Errorf("reconnects = %v after the first connect, want 0", n)
	}
	sendEvent(t, device(t, mq.URL, "lb-0001"), topics, got)
	testsvc.LintGathered(t, reg)

	mq.Stop()
	testsvc.Eventually(t, patience, "link seen down", func() bool { return gauge() == 0 && l.Ready() != nil })
	mq.Start()
	testsvc.Eventually(t, patience, "link back up", func() bool { return gauge() == 1 })
	if n := reconnects(); n != 1 {
		t.Errorf("reconnects = %v after one outage, want 1", n)
	}
	sendEvent(t, device(t, mq.URL, "lb-0002"), topics, got)
}

// device connects a device client to the broker.
func device(t testing.TB, url, id string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetAutoReconnect(false).SetConnectTimeout(10 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(patience) || tok.Error() != nil {
		t.Fatalf("device connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// sendEvent publishes an event and waits for the link to hand it over.
func sendEvent(t *testing.T, dev paho.Client, topics wire.Topics, got <-chan string) {
	t.Helper()
	want := topics.Event("lb-0001")
	if tok := dev.Publish(want, 1, false, `{"type":"button.pressed"}`); !tok.WaitTimeout(patience) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	deadline := time.After(patience)
	for {
		select {
		case topic := <-got:
			if topic == want {
				return
			}
		case <-deadline:
			t.Fatalf("event on %s not handed to the handler within %v", want, patience)
		}
	}
}
