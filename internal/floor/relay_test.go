package floor

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

const root = "test/v1"

func loadSite(t *testing.T) *registry.Registry {
	t.Helper()
	reg, err := registry.Load("testdata/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestRecipientsPageOnePersonAtStep0(t *testing.T) {
	got := Recipients(loadSite(t))
	want := map[string]Recipient{
		"lb-0001": {Staff: "wang", Grid: "lh-g4-07"},  // the grid member, not the leader
		"lb-0003": {Staff: "room1", Grid: "lh-g4-08"}, // no member: the security room
	}
	if len(got) != len(want) {
		t.Fatalf("recipients %v, want %v", got, want)
	}
	for d, r := range want {
		if got[d] != r {
			t.Errorf("%s: %+v, want %+v", d, got[d], r)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	pages := map[string]Recipient{"lb-0001": {Staff: "wang"}}
	for name, cfg := range map[string]Config{
		"no broker":  {Journal: "j", Pages: pages},
		"both":       {Listen: "127.0.0.1:0", Broker: "tcp://127.0.0.1:1", Journal: "j", Pages: pages},
		"no journal": {Listen: "127.0.0.1:0", Pages: pages},
		"no pages":   {Listen: "127.0.0.1:0", Journal: "j"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// TestRelay presses through each kind of broker and checks the one thing
// the relay does: a panic press becomes one fsync'd journal line and one
// page to one person, and nothing else becomes anything.
func TestRelay(t *testing.T) {
	for _, mode := range []string{"embedded", "mosquitto"} {
		t.Run(mode, func(t *testing.T) {
			cfg := Config{Topics: wire.Topics{Root: root}, Pages: Recipients(loadSite(t)),
				Journal: filepath.Join(t.TempDir(), "floor.journal")}
			if mode == "embedded" {
				cfg.Listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(testsvc.FreePort(t)))
			} else {
				cfg.Broker = testsvc.Mosquitto(t).URL
			}
			url := cfg.Broker
			if url == "" {
				url = "tcp://" + cfg.Listen
			}
			r, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			t.Cleanup(func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("relay: %v", err)
				}
			})
			select {
			case <-r.Ready():
			case err := <-done:
				t.Fatalf("relay ended: %v", err)
			case <-time.After(20 * time.Second):
				t.Fatal("relay not ready within 20s")
			}

			pages := make(chan paho.Message, 16)
			phone := connect(t, url, "phone")
			if tok := phone.Subscribe(root+"/staff/+/notify", 1, func(_ paho.Client, m paho.Message) { pages <- m }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				t.Fatalf("subscribe: %v", tok.Error())
			}
			box := connect(t, url, "box")
			topics := wire.Topics{Root: root}
			publish := func(topic, payload string) {
				t.Helper()
				if tok := box.Publish(topic, 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
					t.Fatalf("publish %s: %v", topic, tok.Error())
				}
			}
			// None of these pages anyone: telemetry, another event type,
			// a device with nobody to page, a camera, garbage.
			publish(topics.Telemetry("lb-0001"), `{"battery_v":12.4}`)
			publish(topics.Event("lb-0001"), `{"type":"tamper.open","ts":1}`)
			publish(topics.Event("lb-0005"), `{"type":"button.pressed","ts":1}`)
			publish(topics.Event("cam-0001"), `{"type":"button.pressed","ts":1}`)
			publish(topics.Event("lb-0001"), `not json`)
			// These do, each once.
			publish(topics.Event("lb-0001"), "{\"type\": \"button.pressed\",\n \"ts\": 1732345678123, \"seq\": 7}")
			publish(topics.Event("lb-0003"), `{"type":"button.duress","ts":1732345678124}`)

			want := map[string]string{"lb-0001": root + "/staff/wang/notify", "lb-0003": root + "/staff/room1/notify"}
			for range len(want) {
				var m paho.Message
				select {
				case m = <-pages:
				case <-time.After(10 * time.Second):
					t.Fatal("no page within 10s")
				}
				var n event.Notification
				if err := json.Unmarshal(m.Payload(), &n); err != nil {
					t.Fatalf("page %s: %v", m.Payload(), err)
				}
				if want[n.Device] != m.Topic() || n.AlarmID == "" || n.PageID == "" || n.Severity != event.Red || n.EventMS < 1732345678123 {
					t.Errorf("page on %s: %+v", m.Topic(), n)
				}
				delete(want, n.Device)
			}
			select {
			case m := <-pages:
				t.Fatalf("an extra page on %s: %s; journal %q", m.Topic(), m.Payload(), journalLines(t, cfg.Journal))
			case <-time.After(300 * time.Millisecond):
			}
			// Through Mosquitto the two presses are handled concurrently:
			// their lines' order is not fixed.
			lines := journalLines(t, cfg.Journal)
			slices.SortFunc(lines, func(a, b string) int {
				return strings.Compare(a[strings.Index(a, `"device"`):], b[strings.Index(b, `"device"`):])
			})
			if len(lines) != 2 || !strings.Contains(lines[0], `"device":"lb-0001"`) || !strings.Contains(lines[1], `"device":"lb-0003"`) {
				t.Fatalf("journal %q, want one line per press", lines)
			}
			for _, l := range lines {
				if !json.Valid([]byte(l)) {
					t.Errorf("journal line %q is not JSON", l)
				}
			}
			// On an external broker the floor takes the telemetry, as any
			// gateway must (and drops it); the embedded broker's floor
			// has no one to hand it to.
			if mode == "mosquitto" {
				testsvc.Eventually(t, 10*time.Second, "the telemetry taken", func() bool { return r.Telemetry() == 1 })
			} else if n := r.Telemetry(); n != 0 {
				t.Errorf("embedded floor took %d telemetry messages", n)
			}
		})
	}
}

// TestUnstoredPressIsNotAcknowledged: with the embedded broker a press
// the journal could not take (here /dev/full: every write fails with
// ENOSPC) gets no PUBACK, as with gridwatchd, and pages nobody; other
// traffic is still acknowledged.
func TestUnstoredPressIsNotAcknowledged(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	cfg := Config{Topics: wire.Topics{Root: root}, Pages: Recipients(loadSite(t)), Journal: "/dev/full",
		Listen: net.JoinHostPort("127.0.0.1", strconv.Itoa(testsvc.FreePort(t)))}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-r.Ready():
	case err := <-done:
		t.Fatalf("relay ended: %v", err)
	}
	box := connect(t, "tcp://"+cfg.Listen, "box")
	topics := wire.Topics{Root: root}
	if tok := box.Publish(topics.Telemetry("lb-0001"), 1, false, `{"battery_v":12.4}`); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("telemetry not acknowledged: %v", tok.Error())
	}
	// No acknowledgement is the right answer, so waiting longer can only
	// make this pass on a slow machine, never fail.
	if tok := box.Publish(topics.Event("lb-0001"), 1, false, `{"type":"button.pressed"}`); tok.WaitTimeout(time.Second) {
		t.Fatalf("a press the journal refused was acknowledged (err %v)", tok.Error())
	}
}

func connect(t *testing.T, url, name string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(name + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)).
		SetOrderMatters(false).SetConnectTimeout(10 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		t.Fatalf("%s: connect %s: %v", name, url, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func journalLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		out = append(out, s.Text())
	}
	return out
}
