// Package brokertest runs a real MQTT broker (mochi-mqtt) inside a test, on
// a random loopback port, so the simulator's tests talk to the same kind of
// broker the gateway embeds, over real TCP.
package brokertest

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Broker is a running test broker.
type Broker struct {
	URL    string // tcp://127.0.0.1:port
	server *mqtt.Server
	gate   *gate
}

// Cut drops a client's connection without a DISCONNECT, as a lost 4G link
// would, so the broker publishes its will, and refuses the client's
// reconnects until the returned function is called. It fails the test if
// the client is not connected.
func (b *Broker) Cut(t testing.TB, clientID string) (restore func()) {
	t.Helper()
	cl, ok := b.server.Clients.Get(clientID)
	if !ok {
		t.Fatalf("broker: no client %q to cut off", clientID)
	}
	b.gate.ban(clientID, true)
	// Closing the socket (rather than cl.Stop, which mochi treats as a
	// clean end) is what a dropped link looks like to the broker.
	_ = cl.Net.Conn.Close()
	return func() { b.gate.ban(clientID, false) }
}

// gate lets everyone in except the clients a test has cut off. It replaces
// auth.AllowHook, which would let them straight back.
type gate struct {
	mqtt.HookBase
	mu     sync.Mutex
	banned map[string]bool
}

func (g *gate) ban(id string, on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.banned[id] = on
}

// ID names the hook.
func (g *gate) ID() string { return "brokertest-gate" }

// Provides says which hooks the gate implements.
func (g *gate) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}

// OnConnectAuthenticate refuses cut-off clients.
func (g *gate) OnConnectAuthenticate(cl *mqtt.Client, _ packets.Packet) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return !g.banned[cl.ID]
}

// OnACLCheck allows every topic.
func (g *gate) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

// Start starts a broker that allows everyone (but clients the test has Cut
// off) on a random loopback port and stops it when the test ends.
func Start(t testing.TB) *Broker {
	t.Helper()
	s := mqtt.New(&mqtt.Options{
		InlineClient: true,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	g := &gate{banned: map[string]bool{}}
	if err := s.AddHook(g, nil); err != nil {
		t.Fatalf("broker: gate hook: %v", err)
	}
	l := closeSafely{TCP: listeners.NewTCP(listeners.Config{ID: "t", Address: "127.0.0.1:0"}), srv: s}
	if err := s.AddListener(l); err != nil {
		t.Fatalf("broker: listen: %v", err)
	}
	if err := s.Serve(); err != nil {
		t.Fatalf("broker: serve: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return &Broker{URL: "tcp://" + l.Address(), server: s, gate: g}
}

// Client connects a plain paho client (clean session) to the broker, for a
// test to play the gateway or watch the wire. It is disconnected when the
// test ends.
func Client(t testing.TB, broker, id string) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(broker).SetClientID(id).
		SetConnectTimeout(5 * time.Second).SetOrderMatters(false)
	c := paho.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("test client %s: connect: %v", id, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// Subscribe subscribes c to filter and returns a channel that receives
// every message (buffered; a full buffer fails the test rather than
// blocking the client).
func Subscribe(t testing.TB, c paho.Client, filter string) <-chan paho.Message {
	t.Helper()
	ch := make(chan paho.Message, 1024)
	tok := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		select {
		case ch <- m:
		default:
			t.Errorf("test subscriber on %s: buffer full", filter)
		}
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", filter, tok.Error())
	}
	return ch
}

// Publish publishes and waits (bounded) for the broker's acknowledgement.
func Publish(t testing.TB, c paho.Client, topic string, qos byte, retained bool, payload []byte) {
	t.Helper()
	tok := c.Publish(topic, qos, retained, payload)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// Next returns the next message from ch, failing the test if none arrives
// within a generous deadline.
func Next(t testing.TB, ch <-chan paho.Message, what string) paho.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10s", what)
		return nil
	}
}

// closeSafely is mochi's TCP listener, closing its clients without
// mochi's Clients.GetByListener: that takes the clients' read lock twice,
// so the server's Close deadlocks when a client disconnects at that
// moment (a test once hung 20 minutes). The gateway's broker does the
// same (gateway/broker's disconnectListener).
type closeSafely struct {
	*listeners.TCP
	srv *mqtt.Server
}

func (l closeSafely) Close(listeners.CloseFn) {
	l.TCP.Close(func(id string) {
		for _, cl := range l.srv.Clients.GetAll() {
			if cl.Net.Listener == id && !cl.Closed() {
				_ = l.srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
			}
		}
	})
}
