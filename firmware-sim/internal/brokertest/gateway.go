package brokertest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Gateway is a stand-in for gridwatchd in the simulator's tests: a plain
// MQTT client that answers each device event with a step-0 notification
// to the staff listed for that device, joins repeated events to an alarm
// that is still open (no new page, as the real rules do), and closes an
// alarm (empty retained R/alarms/{id}) when a phone resolves it.
type Gateway struct {
	t      testing.TB
	c      paho.Client
	topics wire.Topics
	page   map[string][]string // device → staff
	ignore map[string]bool

	mu      sync.Mutex
	next    int
	open    map[string]string // device → open alarm id
	events  []wire.EventMsg
	joined  int // events that arrived while their device's alarm was open
	replies []wire.ReplyMsg
	tel     int
}

// NewGateway starts a fake gateway on the broker. page maps a device to
// the staff to notify; events of devices in ignore are swallowed.
func NewGateway(t testing.TB, broker string, root string, page map[string][]string, ignore ...string) *Gateway {
	t.Helper()
	g := &Gateway{t: t, topics: wire.Topics{Root: root}, page: page, ignore: map[string]bool{}, open: map[string]string{}}
	for _, d := range ignore {
		g.ignore[d] = true
	}
	g.c = Client(t, broker, fmt.Sprintf("fake-gateway-%d", time.Now().UnixNano()))
	for filter, h := range map[string]paho.MessageHandler{
		root + "/dev/+/evt":     g.onEvent,
		root + "/dev/+/tel":     g.onTel,
		root + "/staff/+/reply": g.onReply,
	} {
		tok := g.c.Subscribe(filter, 1, h)
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("fake gateway: subscribe %s: %v", filter, tok.Error())
		}
	}
	return g
}

func (g *Gateway) onEvent(_ paho.Client, m paho.Message) {
	_, dev := g.topics.Parse(m.Topic())
	var e wire.EventMsg
	if err := json.Unmarshal(m.Payload(), &e); err != nil {
		g.t.Errorf("fake gateway: bad event on %s: %v", m.Topic(), err)
		return
	}
	g.mu.Lock()
	g.events = append(g.events, e)
	if g.ignore[dev] {
		g.mu.Unlock()
		return
	}
	if _, busy := g.open[dev]; busy {
		g.joined++
		g.mu.Unlock()
		return
	}
	g.next++
	id := fmt.Sprintf("a-%d", g.next)
	g.open[dev] = id
	g.mu.Unlock()
	now := time.Now().UnixMilli()
	n := event.Notification{
		AlarmID: id, Rule: "panic", Severity: event.Red, Title: "Panic button pressed",
		Device: dev, Grid: "lh-g4-07", Step: 0, RaisedMS: now, EventMS: e.TS, DeadlineMS: now + 60000, Count: 1,
	}
	b, _ := json.Marshal(n)
	for _, s := range g.page[dev] {
		g.c.Publish(g.topics.Notify(s), 1, false, b)
	}
	g.c.Publish(g.topics.Alarm(id), 1, true, b)
}

func (g *Gateway) onTel(_ paho.Client, _ paho.Message) {
	g.mu.Lock()
	g.tel++
	g.mu.Unlock()
}

func (g *Gateway) onReply(_ paho.Client, m paho.Message) {
	var r wire.ReplyMsg
	if err := json.Unmarshal(m.Payload(), &r); err != nil {
		g.t.Errorf("fake gateway: bad reply on %s: %v", m.Topic(), err)
		return
	}
	g.mu.Lock()
	g.replies = append(g.replies, r)
	closed := false
	if r.Action == string(event.Resolve) {
		for dev, id := range g.open {
			if id == r.AlarmID {
				delete(g.open, dev)
				closed = true
			}
		}
	}
	g.mu.Unlock()
	if closed {
		g.c.Publish(g.topics.Alarm(r.AlarmID), 1, true, []byte{})
	}
}

// Snapshot returns copies of what the gateway has seen so far.
func (g *Gateway) Snapshot() (events []wire.EventMsg, replies []wire.ReplyMsg, joined, tel int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]wire.EventMsg(nil), g.events...), append([]wire.ReplyMsg(nil), g.replies...), g.joined, g.tel
}

// WaitFor polls cond until it holds, failing the test after a generous
// deadline.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
