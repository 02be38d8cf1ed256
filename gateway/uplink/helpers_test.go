package uplink

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

const (
	testCounty = "qx"
	testSite   = "lianhua"
	waitLong   = 60 * time.Second
)

// running is an Uplink at work in a test.
type running struct {
	*Uplink
	stop func()
}

// start opens and runs an uplink on the outbox in dir.
func start(t *testing.T, url, dir string, reqs Requests, opts ...func(*Config)) *running {
	t.Helper()
	cfg := Config{URL: url, County: testCounty, Site: testSite, ClientID: "gw-" + testSite,
		Path: filepath.Join(dir, "uplink.db"), Requests: reqs}
	for _, o := range opts {
		o(&cfg)
	}
	u, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = u.Run(ctx) }()
	r := &running{Uplink: u}
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			if err := u.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(r.stop)
	return r
}

// county is a subscriber on the county's side that keeps every message.
type county struct {
	mu       sync.Mutex
	events   []countywire.Record
	retained map[string][]byte
	replies  []countywire.Reply
	client   paho.Client
}

func watch(t *testing.T, url string) *county {
	t.Helper()
	c := &county{retained: map[string][]byte{}}
	tp := countywire.Topics{County: testCounty, Site: testSite}
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("county-%d", time.Now().UnixNano())).
		SetCleanSession(true).SetOrderMatters(true)
	c.client = paho.NewClient(opts)
	if tok := c.client.Connect(); !tok.WaitTimeout(waitLong) || tok.Error() != nil {
		t.Fatalf("county connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.client.Disconnect(100) })
	for _, f := range countywire.CountyFilters(testCounty) {
		tok := c.client.Subscribe(f, 1, func(_ paho.Client, m paho.Message) {
			c.mu.Lock()
			defer c.mu.Unlock()
			switch {
			case m.Topic() == tp.Events():
				var r countywire.Record
				if err := json.Unmarshal(m.Payload(), &r); err != nil {
					t.Errorf("event %s: %v", m.Payload(), err)
				}
				c.events = append(c.events, r)
			case m.Topic() == tp.Reply():
				var r countywire.Reply
				if err := json.Unmarshal(m.Payload(), &r); err != nil {
					t.Errorf("reply %s: %v", m.Payload(), err)
				}
				c.replies = append(c.replies, r)
			default:
				c.retained[m.Topic()] = append([]byte(nil), m.Payload()...)
			}
		})
		if !tok.WaitTimeout(waitLong) || tok.Error() != nil {
			t.Fatalf("county subscribe %s: %v", f, tok.Error())
		}
	}
	return c
}

// unique is the events seen, each ID once, in the order first seen.
func (c *county) unique() []countywire.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]bool{}
	var out []countywire.Record
	for _, r := range c.events {
		if !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out
}

func (c *county) alarmsSeen(kind string) int {
	n := 0
	for _, r := range c.unique() {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

func (c *county) retainedAt(topic string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.retained[topic]
	return b, ok
}

func (c *county) reply(id string) (countywire.Reply, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	var last countywire.Reply
	for _, r := range c.replies {
		if r.ID == id {
			last, n = r, n+1
		}
	}
	return last, n
}

// request publishes a raw request on the site's down topic.
func (c *county) request(t *testing.T, payload []byte) {
	t.Helper()
	tp := countywire.Topics{County: testCounty, Site: testSite}
	if tok := c.client.Publish(tp.Down(), 1, false, payload); !tok.WaitTimeout(waitLong) || tok.Error() != nil {
		t.Fatalf("publish request: %v", tok.Error())
	}
}

// inOrder checks the records are in Seq order with no gap, from 1.
func inOrder(t *testing.T, recs []countywire.Record) {
	t.Helper()
	for i, r := range recs {
		if r.Seq != uint64(i+1) || r.ID != countywire.MakeID(testSite, r.Seq) {
			t.Fatalf("record %d is %s (seq %d): want seq %d, in order, no gap", i, r.ID, r.Seq, i+1)
		}
	}
}

// lifecycle is an alarm after n steps: raised, paged, ack, arrive, resolve.
func lifecycle(id string, n int) alarm.Alarm {
	kinds := []alarm.EntryKind{alarm.EntryRaised, alarm.EntryNotified, alarm.EntryAck, alarm.EntryArrive, alarm.EntryResolve}
	states := []alarm.State{alarm.Open, alarm.Open, alarm.Acknowledged, alarm.OnScene, alarm.Resolved}
	a := alarm.Alarm{ID: id, Rule: "panic", Severity: "red", Device: "lb-0001", Grid: "lh-g4-07", State: states[n-1]}
	for i := range n {
		a.Timeline = append(a.Timeline, alarm.Entry{At: int64(1000 + i), Kind: kinds[i]})
	}
	return a
}

// natsMQTT starts a single nats-server with JetStream and its MQTT
// listener for this test, returning the MQTT URL. Skipped without the
// binary (go install github.com/nats-io/nats-server/v2@v2.15.3).
func natsMQTT(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("GRIDWATCH_NATS")
	if bin == "" {
		if p, err := exec.LookPath("nats-server"); err == nil {
			bin = p
		} else if home, err := os.UserHomeDir(); err == nil {
			bin = filepath.Join(home, "go", "bin", "nats-server")
		}
	}
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("GRIDWATCH_REQUIRE_SERVICES") == "1" {
			t.Fatalf("nats-server not found: %v", err)
		}
		t.Skip("nats-server not found: go install github.com/nats-io/nats-server/v2@v2.15.3")
	}
	dir := t.TempDir()
	port, mport := testsvc.FreePort(t), testsvc.FreePort(t)
	conf := filepath.Join(dir, "nats.conf")
	text := fmt.Sprintf("server_name: uplinktest\nlisten: 127.0.0.1:%d\njetstream { store_dir: %q }\nmqtt { listen: 127.0.0.1:%d }\n",
		port, filepath.Join(dir, "js"), mport)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "nats.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("nats-server log:\n%s", b)
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(mport))
	testsvc.Eventually(t, waitLong, "nats-server MQTT listener", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	})
	return "tcp://" + addr
}

type alarmT = alarm.Alarm
