package broker

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"
)

// rawClient logs in as user (password "pw-"+user) with a hand-made
// CONNECT, so a test can send what no client library would.
func rawClient(t *testing.T, addr, id, user string) net.Conn {
	t.Helper()
	return rawClientKeepalive(t, addr, id, user, 60)
}

func rawClientKeepalive(t *testing.T, addr, id, user string, keepalive uint16) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), ClientIdentifier: id, Clean: true, Keepalive: keepalive,
			UsernameFlag: true, Username: []byte(user), PasswordFlag: true, Password: []byte("pw-" + user)}}
	var buf bytes.Buffer
	if err := pk.ConnectEncode(&buf); err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	connack := make([]byte, 4)
	if _, err := io.ReadFull(c, connack); err != nil || connack[3] != 0 {
		t.Fatalf("CONNACK % x: %v", connack, err)
	}
	_ = c.SetDeadline(time.Time{})
	return c
}

// subscribePacket encodes a SUBSCRIBE of filters at QoS 1.
func subscribePacket(t *testing.T, id uint16, filters ...string) []byte {
	t.Helper()
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, ProtocolVersion: 4, PacketID: id}
	for _, f := range filters {
		pk.Filters = append(pk.Filters, packets.Subscription{Filter: f, Qos: 1})
	}
	var buf bytes.Buffer
	if err := pk.SubscribeEncode(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readSuback reads packets until a SUBACK and returns its reason codes.
func readSuback(t *testing.T, c net.Conn) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	for {
		var hdr [1]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			t.Fatalf("reading SUBACK: %v", err)
		}
		n, mul := 0, 1
		for {
			var b [1]byte
			if _, err := io.ReadFull(c, b[:]); err != nil {
				t.Fatalf("reading SUBACK: %v", err)
			}
			n += int(b[0]&127) * mul
			mul *= 128
			if b[0] < 128 {
				break
			}
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(c, body); err != nil {
			t.Fatalf("reading SUBACK: %v", err)
		}
		if hdr[0] == packets.Suback<<4 {
			return body[2:]
		}
	}
}

// gateIsFree checks that nobody holds the retained gate once the broker
// is done with what a test sent, and that the board can be written.
func gateIsFree(t *testing.T, b *Broker) {
	t.Helper()
	waitFor(t, func() bool { return b.gate.holders.Load() == 0 })
	done := make(chan error, 1)
	go func() { done <- b.Publish("gridwatch/v1/alarms/A-GATE", []byte(`{"state":"open"}`), 1, true) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a retained publish of the gateway is held up by the retained gate")
	}
}

// TestRetainedGateIsAlwaysLetGo: every way a SUBSCRIBE can end lets go of
// the retained gate (a gate left held would stop the alarm board), and a
// client that stops reading holds nobody up.
func TestRetainedGateIsAlwaysLetGo(t *testing.T) {
	sb := newSecurityBroker(t)
	if err := sb.b.Publish("gridwatch/v1/alarms/A1", []byte(`{"state":"open"}`), 1, true); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"malformed SUBSCRIBE (no filter)", func(t *testing.T) {
			c := rawClient(t, sb.addr, "console-1", "wang")
			if _, err := c.Write([]byte{packets.Subscribe<<4 | 2, 2, 0, 1}); err != nil {
				t.Fatal(err)
			}
			if !closedWithin(c, 10*time.Second) {
				t.Error("the connection of a malformed SUBSCRIBE was not closed")
			}
		}},
		{"invalid filter", func(t *testing.T) {
			c := rawClient(t, sb.addr, "console-2", "wang")
			if _, err := c.Write(subscribePacket(t, 1, "gridwatch/v1/alarms/#/x", "gridwatch/v1/alarms/+")); err != nil {
				t.Fatal(err)
			}
			if got := readSuback(t, c); !bytes.Equal(got, []byte{0x80, 1}) {
				t.Errorf("SUBACK codes % x, want 80 01", got)
			}
		}},
		{"refused by the ACL", func(t *testing.T) {
			c := rawClient(t, sb.addr, "console-3", "wang")
			if _, err := c.Write(subscribePacket(t, 1, "gridwatch/v1/dev/+/state")); err != nil {
				t.Fatal(err)
			}
			if got := readSuback(t, c); !bytes.Equal(got, []byte{0x80}) {
				t.Errorf("SUBACK codes % x, want 80", got)
			}
		}},
		{"gone before its SUBACK", func(t *testing.T) {
			for i := range 20 {
				c := rawClient(t, sb.addr, "console-4-"+strconv.Itoa(i), "wang")
				if _, err := c.Write(subscribePacket(t, 1, "gridwatch/v1/alarms/#")); err != nil {
					t.Fatal(err)
				}
				c.Close()
			}
		}},
		{"stops reading", func(t *testing.T) {
			// A console that subscribes to a large board and never reads:
			// the broker's writes to it block, and then its next SUBACK
			// and the retained messages sent after it. mochi gives each
			// write until 1.5 keepalives after the client's last packet;
			// then the client is dropped and the gate let go.
			big := bytes.Repeat([]byte("x"), 32<<10)
			for i := range 300 {
				if err := sb.b.Publish("gridwatch/v1/alarms/big"+strconv.Itoa(i), big, 1, true); err != nil {
					t.Fatal(err)
				}
			}
			c := rawClientKeepalive(t, sb.addr, "console-5", "wang", 2)
			if _, err := c.Write(subscribePacket(t, 1, "gridwatch/v1/alarms/#")); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // let the broker fill the socket
			if _, err := c.Write(subscribePacket(t, 2, "gridwatch/v1/alarms/+")); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // its SUBACK now waits for the socket
			for i := range 300 {
				if err := sb.b.Publish("gridwatch/v1/alarms/big"+strconv.Itoa(i), nil, 1, true); err != nil {
					t.Fatal(err)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t)
			gateIsFree(t, sb.b)
		})
	}
}

// TestStopWhileSubscribingAndRetaining: the broker stops (every client
// closed, Run returns) while consoles subscribe and the board and a device
// write retained messages.
func TestStopWhileSubscribingAndRetaining(t *testing.T) {
	for round := range 3 {
		addr := freeAddr(t)
		b, stop := startBroker(t, Config{Listen: addr, AllowAnonymous: true, DataDir: t.TempDir(),
			Handler: handlerFunc(func(context.Context, string, []byte) error { return nil })})
		quit := make(chan struct{})
		var wg sync.WaitGroup
		running := func() bool {
			select {
			case <-quit:
				return false
			default:
				return true
			}
		}
		wg.Go(func() {
			for i := 0; running(); i++ {
				_ = b.Publish("gridwatch/v1/alarms/A"+strconv.Itoa(i%4), []byte(strings.Repeat("x", i%2)), 1, true)
			}
		})
		device := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("lb-0001").SetAutoReconnect(false))
		if tok := device.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
		wg.Go(func() {
			for i := 0; running() && device.IsConnectionOpen(); i++ {
				device.Publish("gridwatch/v1/dev/lb-0001/state", 1, true, []string{"online", ""}[i%2]).WaitTimeout(time.Second)
			}
		})
		for c := range 2 {
			console := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("console-" + strconv.Itoa(c)).SetAutoReconnect(false))
			if tok := console.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				t.Fatal(tok.Error())
			}
			wg.Go(func() {
				for running() && console.IsConnectionOpen() {
					console.Subscribe("gridwatch/v1/#", 1, nil).WaitTimeout(time.Second)
					console.Unsubscribe("gridwatch/v1/#").WaitTimeout(time.Second)
				}
			})
		}
		time.Sleep(100 * time.Millisecond) // let them run into one another
		stopped := make(chan struct{})
		go func() { stop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: the broker did not stop in 20s", round)
		}
		close(quit)
		wg.Wait()
		if err := b.Publish("gridwatch/v1/alarms/A1", nil, 1, true); err == nil {
			t.Errorf("round %d: a publish after the stop was taken", round)
		}
	}
}

// TestSysTopicsAreNotRetainedOnSubscribe: mochi sets its $SYS topics
// retained every second from its own loop, where the retained gate cannot
// reach (go test -race reported that write against a SUBSCRIBE to $SYS/#).
// A $SYS subscriber is given no retained messages and gets the figures at
// the next tick.
func TestSysTopicsAreNotRetainedOnSubscribe(t *testing.T) {
	addr := freeAddr(t)
	startBroker(t, Config{Listen: addr, AllowAnonymous: true,
		Handler: handlerFunc(func(context.Context, string, []byte) error { return nil })})
	var mu sync.Mutex
	retained, live := 0, 0
	console := connect(t, addr, "console", true, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		defer mu.Unlock()
		if m.Retained() {
			retained++
		} else {
			live++
		}
	})
	// Over two of mochi's ticks.
	for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); {
		if tok := console.Subscribe("$SYS/broker/#", 0, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
		if tok := console.Unsubscribe("$SYS/broker/#"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	if tok := console.Subscribe("$SYS/broker/#", 0, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return live > 0 })
	mu.Lock()
	defer mu.Unlock()
	if retained != 0 {
		t.Errorf("%d retained $SYS messages on subscribing, want none", retained)
	}
}

// TestStuckClientIsDropped: a console subscribes to a large board with
// keepalive 0 (mochi then sets no deadline at all) and never reads. The
// broker's writes to it stop, and with them, as the retained messages
// are still being queued for it, the retained gate. A write that takes
// longer than the write timeout drops the client, so the gateway's and
// the devices' retained messages are held up no longer than that.
func TestStuckClientIsDropped(t *testing.T) {
	addr := freeAddr(t)
	b, _ := startBrokerWith(t, Config{Listen: addr, AllowAnonymous: true,
		Handler: handlerFunc(func(context.Context, string, []byte) error { return nil })},
		func(b *Broker) { b.writeTimeout = time.Second })
	big := bytes.Repeat([]byte("x"), 32<<10)
	for i := range 300 {
		if err := b.Publish("gridwatch/v1/alarms/big"+strconv.Itoa(i), big, 1, true); err != nil {
			t.Fatal(err)
		}
	}
	c := rawClientKeepalive(t, addr, "console-stuck", "console", 0)
	if _, err := c.Write(subscribePacket(t, 1, "gridwatch/v1/alarms/#")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, ok := b.server.Clients.Get("console-stuck"); return !ok })
	gateIsFree(t, b)
}

// TestStuckBoardConsoleHoldsUpOnlyTheBoard: a board console whose socket
// is full holds up the gateway's board publishes to it (QoS 1: mochi
// numbers each under the lock its stuck write holds) until its write
// times out. It must not hold up, meanwhile, a device's retained state
// (the device's next packets, its presses, wait behind it) nor another
// console's subscription: the retained gate is let go once the board's
// message is written, before it goes to the subscribers.
func TestStuckBoardConsoleHoldsUpOnlyTheBoard(t *testing.T) {
	addr := freeAddr(t)
	b, _ := startBrokerWith(t, Config{Listen: addr, AllowAnonymous: true,
		Handler: handlerFunc(func(context.Context, string, []byte) error { return nil })},
		func(b *Broker) { b.writeTimeout = time.Minute })
	stuck := rawClientKeepalive(t, addr, "console-stuck", "console", 0)
	if _, err := stuck.Write(subscribePacket(t, 1, "gridwatch/v1/alarms/#")); err != nil {
		t.Fatal(err)
	}
	readSuback(t, stuck) // and nothing more
	var published atomic.Int64
	board := make(chan struct{})
	go func() {
		defer close(board)
		big := bytes.Repeat([]byte("x"), 60<<10)
		for i := range 2000 {
			if b.Publish("gridwatch/v1/alarms/big"+strconv.Itoa(i%50), big, 1, true) != nil {
				return
			}
			published.Add(1)
		}
	}()
	// The board publisher is stuck once it stops moving.
	for last := int64(-1); ; {
		time.Sleep(300 * time.Millisecond)
		n := published.Load()
		if n == last {
			break
		}
		select {
		case <-board:
			t.Fatal("the board publisher was never held up: the console's socket took 2000 messages of 60 KiB")
		default:
		}
		last = n
	}
	device := connect(t, addr, "lb-0001", true, nil)
	if tok := device.Publish("gridwatch/v1/dev/lb-0001/state", 1, true, "online"); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("a device's retained state waited for the stuck console (%v)", tok.Error())
	}
	got := make(chan string, 1)
	other := connect(t, addr, "console-other", true, func(_ paho.Client, m paho.Message) {
		select {
		case got <- string(m.Payload()):
		default:
		}
	})
	if tok := other.Subscribe("gridwatch/v1/dev/+/state", 1, nil); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("another console's SUBSCRIBE waited for the stuck console (%v)", tok.Error())
	}
	select {
	case p := <-got:
		if p != "online" {
			t.Errorf("retained state %q, want online", p)
		}
	case <-time.After(5 * time.Second):
		t.Error("another console did not get the retained device state in 5s")
	}
}
