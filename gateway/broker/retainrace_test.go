package broker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"
)

// TestRetainedWhileSubscribing: consoles subscribe to wildcards while
// retained messages are set and cleared from every side the contract has:
// the gateway's alarm board (its own inline publish), a device's retained
// state (its PUBLISH) and a device's retained last will ("offline").
// mochi v2.7.9 reads its retained index without a lock while it answers a
// SUBSCRIBE; go test -race reported that read against each of these
// writes, and this test against the broker as it was. Each console also
// gets the retained messages it subscribed for, and a console that
// subscribes once the writers are done gets exactly what they left.
func TestRetainedWhileSubscribing(t *testing.T) {
	const root = "gridwatch/v1"
	addr := freeAddr(t)
	b, _ := startBroker(t, Config{Listen: addr, AllowAnonymous: true, TopicRoot: root, DataDir: t.TempDir(),
		Handler: handlerFunc(func(context.Context, string, []byte) error { return nil })})

	quit := make(chan struct{})
	running := func() bool {
		select {
		case <-quit:
			return false
		default:
			return true
		}
	}
	var writers sync.WaitGroup
	writers.Go(func() { // the alarm board: alarms opened and closed
		for i := 0; running(); i++ {
			topic := root + "/alarms/A" + strconv.Itoa(i%8)
			if err := b.Publish(topic, []byte(`{"state":"open"}`), 1, true); err != nil {
				t.Errorf("board publish: %v", err)
				return
			}
			if err := b.Publish(topic, nil, 1, true); err != nil {
				t.Errorf("board clear: %v", err)
				return
			}
		}
	})
	device := connect(t, addr, "lb-0001", true, nil)
	writers.Go(func() { // a device's state, set and cleared
		for i := 0; running(); i++ {
			topic := root + "/dev/lb-0001/state" + strconv.Itoa(i%4)
			for _, p := range []string{"online", ""} {
				if tok := device.Publish(topic, 1, true, p); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
					t.Errorf("device publish: %v", tok.Error())
					return
				}
			}
		}
	})
	writers.Go(func() { // a device that drops off: its retained will
		for i := 0; running(); i++ {
			if err := connectAndDrop(addr, "lb-0002", root+"/dev/lb-0002/state"+strconv.Itoa(i%4)); err != nil {
				t.Errorf("will: %v", err)
				return
			}
		}
	})

	var consoles sync.WaitGroup
	for c, filters := range [][]string{{root + "/#"}, {root + "/alarms/+", root + "/dev/+/+"}} {
		consoles.Go(func() {
			got := make(chan struct{}, 64)
			console := connect(t, addr, "console-"+strconv.Itoa(c), true, func(_ paho.Client, m paho.Message) {
				if m.Retained() {
					select {
					case got <- struct{}{}:
					default:
					}
				}
			})
			retained := 0
			for range 40 {
				subs := map[string]byte{}
				for _, f := range filters {
					subs[f] = 1
				}
				if tok := console.SubscribeMultiple(subs, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
					t.Errorf("subscribe: %v", tok.Error())
					return
				}
				if tok := console.Unsubscribe(filters...); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
					t.Errorf("unsubscribe: %v", tok.Error())
					return
				}
				for len(got) > 0 {
					<-got
					retained++
				}
			}
			if retained == 0 {
				t.Errorf("console %d: no retained message in 40 subscriptions", c)
			}
		})
	}
	consoles.Wait()
	close(quit)
	writers.Wait()

	// What the writers leave: one alarm open, one device state set.
	if err := b.Publish(root+"/alarms/A3", []byte(`{"state":"open"}`), 1, true); err != nil {
		t.Fatal(err)
	}
	if tok := device.Publish(root+"/dev/lb-0001/state1", 1, true, "online"); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	want := []string{root + "/alarms/A3 {\"state\":\"open\"}", root + "/dev/lb-0001/state1 online"}
	for _, will := range b.Retained(root + "/dev/lb-0002/+") {
		want = append(want, will+" offline")
	}
	slices.Sort(want)
	var mu sync.Mutex
	var seen []string
	last := connect(t, addr, "console-last", true, func(_ paho.Client, m paho.Message) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, m.Topic()+" "+string(m.Payload()))
	})
	if tok := last.Subscribe(root+"/#", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := slices.Sorted(slices.Values(seen))
		mu.Unlock()
		if slices.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("retained after the writers:\n got %q\nwant %q", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// connectAndDrop connects as client id with a retained QoS 1 last will
// "offline" on topic, then closes the connection without a DISCONNECT,
// so that the broker sends the will.
func connectAndDrop(addr, id, topic string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var buf bytes.Buffer
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), ClientIdentifier: id, Clean: true, Keepalive: 30,
			WillFlag: true, WillTopic: topic, WillPayload: []byte("offline"), WillQos: 1, WillRetain: true}}
	if err := pk.ConnectEncode(&buf); err != nil {
		return err
	}
	if _, err := c.Write(buf.Bytes()); err != nil {
		return err
	}
	connack := make([]byte, 4)
	if _, err := io.ReadFull(c, connack); err != nil {
		return err
	}
	if connack[0] != packets.Connack<<4 || connack[3] != 0 {
		return fmt.Errorf("CONNACK % x", connack)
	}
	return nil
}
