package broker

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// handlerFunc adapts a function to Handler.
type handlerFunc func(ctx context.Context, topic string, payload []byte) error

func (f handlerFunc) Handle(ctx context.Context, topic string, payload []byte) error {
	return f(ctx, topic, payload)
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// startBroker runs a broker until the returned stop is called.
func startBroker(t *testing.T, cfg Config) (b *Broker, stop func()) {
	t.Helper()
	return startBrokerWith(t, cfg, nil)
}

// startBrokerWith is startBroker with tweak applied to the broker before
// it runs.
func startBrokerWith(t *testing.T, cfg Config, tweak func(*Broker)) (b *Broker, stop func()) {
	t.Helper()
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for b.Ready() != nil {
		if time.Now().After(deadline) {
			t.Fatal("broker did not start")
		}
		select {
		case err := <-done:
			t.Fatalf("broker stopped: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("broker Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return b, stop
}

func connect(t *testing.T, addr, id string, clean bool, onMsg paho.MessageHandler) paho.Client {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).
		SetCleanSession(clean).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
	if onMsg != nil {
		opts.SetDefaultPublishHandler(onMsg)
	}
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", id, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func TestPubackOnlyAfterHandlerStored(t *testing.T) {
	release := make(chan struct{})
	var fail bool
	var mu sync.Mutex
	h := handlerFunc(func(ctx context.Context, topic string, _ []byte) error {
		if topic == "gridwatch/v1/dev/lb-1/evt" {
			<-release // the journal's fsync, held open
		}
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return errors.New("disk gone")
		}
		return nil
	})
	addr := freeAddr(t)
	startBroker(t, Config{Listen: addr, AllowAnonymous: true, Handler: h})
	dev := connect(t, addr, "lb-1", true, nil)

	tok := dev.Publish("gridwatch/v1/dev/lb-1/evt", 1, false, `{"type":"button.pressed"}`)
	if tok.WaitTimeout(200 * time.Millisecond) {
		t.Fatal("PUBACK arrived before the handler stored the event")
	}
	close(release)
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("no PUBACK after the handler returned: %v", tok.Error())
	}

	// A handler error means no PUBACK at all.
	mu.Lock()
	fail = true
	mu.Unlock()
	tok = dev.Publish("gridwatch/v1/dev/lb-1/tel", 1, false, `{}`)
	if tok.WaitTimeout(300 * time.Millisecond) {
		t.Fatal("PUBACK sent for a message the handler could not store")
	}
}

func TestSessionsAndRetainedSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	h := handlerFunc(func(context.Context, string, []byte) error { return nil })
	cfg := Config{Listen: addr, AllowAnonymous: true, Handler: h, DataDir: dir}

	b, stop := startBroker(t, cfg)
	phone := connect(t, addr, "phone-wang", false, nil)
	if tok := phone.Subscribe("gridwatch/v1/staff/wang/notify", 1, nil); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	phone.Disconnect(100)
	waitFor(t, func() bool { cl, ok := b.server.Clients.Get("phone-wang"); return ok && cl.Closed() })
	if err := b.Publish("gridwatch/v1/alarms/A1", []byte(`{"id":"A1"}`), 1, true); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish("gridwatch/v1/staff/wang/notify", []byte(`{"alarm_id":"A1"}`), 1, false); err != nil {
		t.Fatal(err)
	}
	stop()

	startBroker(t, cfg)
	got := make(chan string, 4)
	connect(t, addr, "phone-wang", false, func(_ paho.Client, m paho.Message) { got <- m.Topic() + " " + string(m.Payload()) })
	select {
	case m := <-got:
		if m != `gridwatch/v1/staff/wang/notify {"alarm_id":"A1"}` {
			t.Errorf("phone got %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the offline phone did not get its notification after the broker restarted")
	}
	board := connect(t, addr, "board", true, nil)
	retained := make(chan string, 1)
	board.Subscribe("gridwatch/v1/alarms/+", 1, func(_ paho.Client, m paho.Message) { retained <- string(m.Payload()) })
	select {
	case m := <-retained:
		if m != `{"id":"A1"}` {
			t.Errorf("retained = %q", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("retained alarm state lost across restart")
	}
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// plainUsers makes Users from username, password pairs.
func plainUsers(kv ...string) map[string]Credential {
	m := map[string]Credential{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = Credential{Password: kv[i+1]}
	}
	return m
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
