package broker

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// deliveries records what the delivery hook reports.
type deliveries struct {
	handlerFunc
	mu     sync.Mutex
	events []string
}

func (d *deliveries) add(s string) {
	d.mu.Lock()
	d.events = append(d.events, s)
	d.mu.Unlock()
}

func (d *deliveries) PageSent(staff, page string)    { d.add("sent " + staff + " " + page) }
func (d *deliveries) PageAcked(staff, page string)   { d.add("acked " + staff + " " + page) }
func (d *deliveries) PageDropped(staff, page string) { d.add("dropped " + staff + " " + page) }
func (d *deliveries) StaffOnline(staff string)       { d.add("online " + staff) }

func (d *deliveries) wait(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d.mu.Lock()
		got := slices.Clone(d.events)
		d.mu.Unlock()
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("reported %q, want %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDeliveryHookReportsThePhonesAck: a page to wang's notify topic is
// reported sent and, on the PUBACK of wang's own phone, acked; a console
// watching every phone's topic acknowledges it too, and that is not
// reported. A phone subscribing is reported online.
func TestDeliveryHookReportsThePhonesAck(t *testing.T) {
	addr := freeAddr(t)
	d := &deliveries{handlerFunc: func(context.Context, string, []byte) error { return nil }}
	b, _ := startBroker(t, Config{Listen: addr, AllowAnonymous: true, TopicRoot: "gw", Handler: d})
	got := make(chan struct{}, 4)
	console := connect(t, addr, "console", true, nil)
	if tok := console.Subscribe("gw/staff/+/notify", 1, func(paho.Client, paho.Message) { got <- struct{}{} }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	phone := connect(t, addr, "phone-wang", true, nil)
	if tok := phone.Subscribe("gw/staff/wang/notify", 1, func(paho.Client, paho.Message) { got <- struct{}{} }); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	d.wait(t, "online wang")
	if err := b.Publish("gw/staff/wang/notify", []byte(`{"alarm_id":"A1","page_id":"A1.0.wang"}`), 1, false); err != nil {
		t.Fatal(err)
	}
	<-got
	<-got
	d.wait(t, "online wang", "sent wang A1.0.wang", "acked wang A1.0.wang")
}
