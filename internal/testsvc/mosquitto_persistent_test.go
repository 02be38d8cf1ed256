package testsvc

import (
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestMosquittoPersistentSurvivesKill: a QoS 1 message queued for an
// offline persistent session is still delivered after the broker was
// killed with SIGKILL and started again.
func TestMosquittoPersistentSurvivesKill(t *testing.T) {
	m := MosquittoPersistent(t)
	got := make(chan string, 1)
	sub := func() paho.Client {
		t.Helper()
		o := paho.NewClientOptions().AddBroker(m.URL).SetClientID("keeper").SetCleanSession(false).
			SetAutoReconnect(false).SetDefaultPublishHandler(func(_ paho.Client, msg paho.Message) {
			select {
			case got <- string(msg.Payload()):
			default:
			}
		})
		c := paho.NewClient(o)
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("connect: %v", tok.Error())
		}
		return c
	}
	c := sub()
	if tok := c.Subscribe("t/q", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	c.Disconnect(100)

	pub := paho.NewClient(paho.NewClientOptions().AddBroker(m.URL).SetClientID("sender"))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	if tok := pub.Publish("t/q", 1, false, "kept"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	pub.Disconnect(100)
	time.Sleep(1500 * time.Millisecond) // autosave_interval 1 s (on changes): let it save

	m.Kill()
	m.Start()
	c = sub()
	defer c.Disconnect(100)
	select {
	case p := <-got:
		if p != "kept" {
			t.Fatalf("got %q, want %q", p, "kept")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the queued message did not survive kill -9 and restart")
	}
}
