package broker

import (
	"context"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

func TestACLRules(t *testing.T) {
	a := acl{root: "gridwatch/v1"}
	for _, tc := range []struct {
		user, topic string
		write, want bool
	}{
		{"lb-1", "gridwatch/v1/dev/lb-1/evt", true, true},
		{"lb-1", "gridwatch/v1/dev/lb-1/#", false, true},
		{"lb-1", "gridwatch/v1/dev/lb-10/evt", true, false},
		{"lb-1", "gridwatch/v1/dev/lb-2/evt", true, false},
		{"lb-1", "gridwatch/v1/dev/+/evt", false, false},
		{"lb-1", "gridwatch/v1/#", false, false},
		{"lb-1", "#", false, false},
		{"wang", "gridwatch/v1/staff/wang/reply", true, true},
		{"wang", "gridwatch/v1/staff/wang/notify", false, true},
		{"lb-1", "gridwatch/v1/staff/wang/reply", true, false},
		{"lb-1", "gridwatch/v1/alarms/A1", false, true},
		{"lb-1", "gridwatch/v1/alarms/+", false, true},
		{"lb-1", "gridwatch/v1/alarms/A1", true, false},
		{"lb-1", "gridwatch/v1/alarmsX", false, false},
		{"lb-1", "$SYS/broker/clients", false, false},
		// A username that is not an id never gets a rule: "+" would
		// otherwise read every device's topics.
		{"+", "gridwatch/v1/dev/+/evt", false, false},
		{"#", "gridwatch/v1/dev/#", false, false},
		{"a/b", "gridwatch/v1/dev/a/b/evt", true, false},
		{"", "gridwatch/v1/dev//evt", true, false},
	} {
		if got := a.allows(tc.user, tc.topic, tc.write); got != tc.want {
			t.Errorf("allows(%q, %q, write=%v) = %v, want %v", tc.user, tc.topic, tc.write, got, tc.want)
		}
	}
}

// TestDevicesMaySpeakOnlyForThemselves: with credentials required, a
// device publishes under its own topics only; its attempt to publish as
// another device never reaches the gateway.
func TestDevicesMaySpeakOnlyForThemselves(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	h := handlerFunc(func(_ context.Context, topic string, _ []byte) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, topic)
		return nil
	})
	addr := freeAddr(t)
	startBroker(t, Config{Listen: addr, Handler: h, TopicRoot: "gridwatch/v1",
		Users: plainUsers("lb-1", "secret-1", "lb-2", "secret-2")})

	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("lb-1").
		SetUsername("lb-1").SetPassword("wrong").SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
	if tok := paho.NewClient(opts).Connect(); tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
		t.Fatal("a wrong password was let in")
	}

	opts.SetPassword("secret-1")
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(100)
	if tok := c.Publish("gridwatch/v1/dev/lb-1/evt", 1, false, `{"type":"button.pressed"}`); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("own topic: %v", tok.Error())
	}
	c.Publish("gridwatch/v1/dev/lb-2/evt", 1, false, `{"type":"button.pressed"}`).WaitTimeout(time.Second)
	c.Publish("gridwatch/v1/staff/wang/reply", 1, false, `{}`).WaitTimeout(time.Second)

	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != "gridwatch/v1/dev/lb-1/evt" {
		t.Errorf("the gateway saw %v, want only lb-1's own event", seen)
	}
}
