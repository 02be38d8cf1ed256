package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/app"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testlog"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/escalate"
)

// siteRegistry is a small site in the shape of the registry in docs/config.md: a street, a
// community, two block grids, and staff at every level.
const siteRegistry = `
grids:
  - {id: baiyu,    name: 白羽街道, level: 2}
  - {id: lianhua,  name: 莲花社区, level: 3, parent: baiyu}
  - {id: lh-g4-07, name: 莲花四级网格7, level: 4, parent: lianhua}
  - {id: lh-g4-08, name: 莲花四级网格8, level: 4, parent: lianhua}
staff:
  - {id: wang,  name: 王芳,   role: grid_member,    grids: [lh-g4-07], phone: "13800000001"}
  - {id: chen,  name: 陈明,   role: grid_member,    grids: [lh-g4-08]}
  - {id: zhao,  name: 赵强,   role: grid_leader,    grids: [lh-g4-07]}
  - {id: li,    name: 李警官, role: police,         grids: [lianhua]}
  - {id: room1, name: 莲花监控室, role: security_room, grids: [lianhua], phone: "13800000005"}
  - {id: cmd1,  name: 白羽指挥中心, role: command_center, grids: [baiyu]}
devices:
  - {id: lb-0001, kind: lightbox, grid: lh-g4-07, name: 莲花路12号, location: {lat: 33.30, lon: 111.49}, heartbeat: 30s}
  - {id: lb-0002, kind: lightbox, grid: lh-g4-07, name: 莲花路20号, heartbeat: 30s}
  - {id: lb-0003, kind: lightbox, grid: lh-g4-08, name: 荷塘街3号, heartbeat: 30s}
  - {id: lb-0009, kind: lightbox, grid: lh-g4-08, name: 荷塘街15号, heartbeat: 2s}
`

var allStaff = []string{"wang", "chen", "zhao", "li", "room1", "cmd1"}

type siteOptions struct {
	external   string // external broker URL; "" = embedded
	influx     *testsvc.Influx
	step1After time.Duration // red step 1 wait; default 1 hour (never in a test)
	step2After time.Duration // red step 2 wait; default step 1's doubled plus an hour
	mutate     func(*config.Config)
	opts       []app.Option
}

// site is one running gateway with its data directory.
type site struct {
	t      *testing.T
	cfg    config.Config
	base   string // http://127.0.0.1:PORT
	broker string // tcp://...
	topics wire.Topics
	app    *app.App
	opts   []app.Option
	stop   func()
	logs   testlog.Buffer // everything the gateway logged, also sent to t.Log
}

func startSite(t *testing.T, o siteOptions) *site {
	t.Helper()
	dir := t.TempDir()
	regPath := filepath.Join(dir, "registry.yaml")
	if err := os.WriteFile(regPath, []byte(siteRegistry), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Site = "lianhua"
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Registry = regPath
	no := false
	cfg.HTTP.Auth = &no
	cfg.HTTP.Listen = "127.0.0.1:0"
	s := &site{t: t, topics: wire.Topics{Root: cfg.MQTT.TopicRoot}}
	if o.external != "" {
		cfg.MQTT.URL = o.external
		cfg.MQTT.ClientID = "gridwatchd-test-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		s.broker = o.external
	} else {
		cfg.MQTT.Embedded.Listen = "127.0.0.1:" + strconv.Itoa(testsvc.FreePort(t))
		s.broker = "tcp://" + cfg.MQTT.Embedded.Listen
	}
	if o.influx != nil {
		cfg.Influx = config.Influx{URL: o.influx.URL, Token: o.influx.Token, Bucket: o.influx.Bucket}
	}
	step1 := o.step1After
	if step1 == 0 {
		step1 = time.Hour
	}
	red := cfg.Escalation[event.Red]
	steps := append([]escalate.Step(nil), red.Steps...)
	step2 := o.step2After
	if step2 == 0 {
		step2 = 2*step1 + time.Hour
	}
	steps[1].After, steps[2].After = step1, step2
	cfg.Escalation[event.Red] = escalate.Policy{Steps: steps}
	if o.mutate != nil {
		o.mutate(&cfg)
	}
	s.cfg = cfg
	s.opts = o.opts
	s.start()
	return s
}

// start runs the gateway on s.cfg until stop is called or the test ends.
func (s *site) start() {
	t := s.t
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, &s.logs), &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.New(s.cfg, log, s.opts...)
	if err != nil {
		t.Fatal(err)
	}
	s.app = a
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-a.Started():
	case err := <-done:
		t.Fatalf("gateway stopped at start: %v", err)
	}
	addr := a.HTTPAddr()
	if addr == nil {
		cancel()
		t.Fatalf("gateway did not start: %v", <-done)
	}
	s.base = "http://" + addr.String()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("gateway Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("gateway did not stop within 30s")
			}
		})
	}
	t.Cleanup(s.stop)
	testsvc.Eventually(t, 20*time.Second, "gateway ready", func() bool {
		resp, err := http.Get(s.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// testWriter sends log lines to t.Log so they show only on failure.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func (s *site) client(id string, clean bool, onMsg paho.MessageHandler) paho.Client {
	s.t.Helper()
	opts := paho.NewClientOptions().AddBroker(s.broker).SetClientID(id).SetCleanSession(clean).
		SetConnectTimeout(5 * time.Second).SetAutoReconnect(true).SetOrderMatters(false)
	if onMsg != nil {
		opts.SetDefaultPublishHandler(onMsg)
	}
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		s.t.Fatalf("connect %s: %v", id, tok.Error())
	}
	s.t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// inbox is what one staff phone received.
type inbox struct {
	mu    sync.Mutex
	notes []event.Notification
}

func (in *inbox) all() []event.Notification {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]event.Notification(nil), in.notes...)
}

// phones subscribes a phone for each staff member.
func (s *site) phones(ids ...string) map[string]*inbox {
	s.t.Helper()
	out := make(map[string]*inbox)
	for _, id := range ids {
		box := &inbox{}
		out[id] = box
		c := s.client("phone-"+id, false, nil)
		tok := c.Subscribe(s.topics.Notify(id), 1, func(_ paho.Client, m paho.Message) {
			var n event.Notification
			if err := json.Unmarshal(m.Payload(), &n); err != nil {
				s.t.Errorf("phone %s: bad notification %s: %v", id, m.Payload(), err)
				return
			}
			box.mu.Lock()
			box.notes = append(box.notes, n)
			box.mu.Unlock()
		})
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			s.t.Fatalf("subscribe %s: %v", id, tok.Error())
		}
	}
	return out
}

// publish sends a QoS 1 message and waits for its PUBACK.
func (s *site) publish(c paho.Client, topic string, payload []byte) {
	s.t.Helper()
	tok := c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		s.t.Fatalf("publish %s: no PUBACK: %v", topic, tok.Error())
	}
}

func (s *site) press(c paho.Client, dev string, seq int) {
	s.t.Helper()
	s.publish(c, s.topics.Event(dev), fmt.Appendf(nil, `{"type":"button.pressed","ts":%d,"seq":%d}`, time.Now().UnixMilli(), seq))
}

func (s *site) getJSON(path string, v any) {
	s.t.Helper()
	resp, err := http.Get(s.base + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		s.t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

func (s *site) post(path, body string) (int, string) {
	s.t.Helper()
	resp, err := http.Post(s.base+path, "application/json", bytes.NewBufferString(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *site) metrics() string {
	s.t.Helper()
	resp, err := http.Get(s.base + "/metrics")
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
