package county

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// countyStaff is the county's registry: a command centre and a police
// officer.
func countyStaff(t testing.TB) *registry.Registry {
	t.Helper()
	reg, err := registry.Parse("county", []byte(`
grids: [{id: qx, name: 青秀区, level: 1}]
staff:
  - {id: cmd1, name: 指挥中心, role: command_center, grids: [qx]}
  - {id: pol1, name: 县公安, role: police, grids: [qx]}
`))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// mqttClient connects a plain MQTT client to url: a gateway's uplink as
// the test plays it.
func mqttClient(t testing.TB, url, id string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true).
		SetConnectTimeout(10 * time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s to %s: %v", id, url, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func publish(t testing.TB, c paho.Client, topic string, retained bool, payload []byte) {
	t.Helper()
	tok := c.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// startView runs a view of testCounty against url until the test ends.
func startView(t *testing.T, url string, cfg Config) *View {
	t.Helper()
	return startViewWith(t, url, cfg, nil)
}

// startViewWith is startView, tweak changing the view before it runs.
func startViewWith(t *testing.T, url string, cfg Config, tweak func(*View)) *View {
	t.Helper()
	cfg.County, cfg.URL = testCounty, url
	if cfg.Registry == nil {
		reg := countyStaff(t)
		cfg.Registry = func() *registry.Registry { return reg }
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("view run: %v", err)
		}
	})
	testsvc.Eventually(t, 30*time.Second, "the view subscribed", func() bool { return v.Ready() == nil })
	return v
}

// openIDs are the county ids of the open alarms v holds.
func openIDs(v *View) []string {
	var ids []string
	for _, a := range v.List(Filter{}) {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestLateViewsSeeEveryOpenAlarm: gateways publish as their uplinks
// would, to a real NATS node (JetStream and MQTT); two views started
// afterwards each see every open alarm of every site from the retained
// state, none that closed, and follow the stream alike — duplicates and
// stale records included.
func TestLateViewsSeeEveryOpenAlarm(t *testing.T) {
	url := natsNode(t)
	pub := mqttClient(t, url, "gw-all")
	sites := map[string]*gw{"lianhua": {site: "lianhua"}, "jinhu": {site: "jinhu"}, "nanhu": {site: "nanhu"}}
	for _, g := range sites {
		tp := g.topics()
		publish(t, pub, tp.Status(), true, mustJSON(t, countywire.Status{Online: true, AtMS: 1}))
		publish(t, pub, tp.Summary(), true, g.summaryRecord(t, countywire.Summary{Ready: true, OpenAlarms: 1}))
		for i, id := range []string{"A1", "A2"} {
			life := lifecycle(id)
			last := 2 - i // A1 acked, A2 raised and paged
			for s := 0; s <= last; s++ {
				rec := g.alarmRecord(t, steps[s], life[s])
				publish(t, pub, tp.Events(), false, rec)
				publish(t, pub, tp.Alarm(id), true, rec)
			}
		}
		// A3 opened and closed before any view started.
		for s, a := range lifecycle("A3") {
			rec := g.alarmRecord(t, steps[s], a)
			publish(t, pub, tp.Events(), false, rec)
			if a.State.Closed() {
				publish(t, pub, tp.Alarm("A3"), true, nil)
			} else {
				publish(t, pub, tp.Alarm("A3"), true, rec)
			}
		}
	}
	want := []string{"jinhu/A1", "jinhu/A2", "lianhua/A1", "lianhua/A2", "nanhu/A1", "nanhu/A2"}
	views := []*View{startView(t, url, Config{}), startView(t, url, Config{})}
	for i, v := range views {
		testsvc.Eventually(t, 30*time.Second, "every open alarm in the late view", func() bool { return slices.Equal(openIDs(v), want) })
		if a, _ := v.Get(Key{Site: "jinhu", ID: "A1"}); a.State != alarm.Acknowledged || a.Site != "jinhu" || len(a.GridPath) == 0 {
			t.Errorf("view %d: jinhu/A1 = %+v; want acknowledged with its site and grid path", i, a)
		}
		// The retained status and summary come on topics of their own, in
		// no fixed order with the alarms.
		testsvc.Eventually(t, 30*time.Second, "every site's retained status and summary", func() bool {
			h := v.Sites()
			return len(h) == 3 && !slices.ContainsFunc(h, func(s SiteHealth) bool { return !s.Online || !s.Ready })
		})
	}

	// Live: lianhua's A2 is acknowledged; the record comes twice, and an
	// old record of it comes late. Both views end alike.
	g := sites["lianhua"]
	ack := g.alarmRecord(t, countywire.StepAck, lifecycle("A2")[2])
	stale := g.alarmRecord(t, countywire.StepRaised, lifecycle("A2")[0])
	stale = rewriteSeq(t, stale, 1) // its original seq: an old copy
	for _, rec := range [][]byte{ack, ack, stale} {
		publish(t, pub, g.topics().Events(), false, rec)
	}
	for i, v := range views {
		testsvc.Eventually(t, 30*time.Second, "the live ack in every view", func() bool {
			a, _ := v.Get(Key{Site: "lianhua", ID: "A2"})
			return a.State == alarm.Acknowledged
		})
		time.Sleep(200 * time.Millisecond) // let the stale copy arrive too
		if a, _ := v.Get(Key{Site: "lianhua", ID: "A2"}); a.State != alarm.Acknowledged {
			t.Errorf("view %d: a stale record took lianhua/A2 back to %s", i, a.State)
		}
	}
}

// rewriteSeq gives a record another seq (and id).
func rewriteSeq(t *testing.T, b []byte, seq uint64) []byte {
	var rec countywire.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec.Seq, rec.ID = seq, countywire.MakeID(rec.Site, seq)
	return mustJSON(t, rec)
}

// TestActFromCounty: an ack from the county is a Request on the site's
// down topic, and the site's Reply is the answer; a site that does not
// answer gives ErrNoReply; the county's own table refuses police an
// emergency switch before anything is sent.
func TestActFromCounty(t *testing.T) {
	url := natsNode(t)
	pub := mqttClient(t, url, "gw-lianhua")
	g := &gw{site: "lianhua"}
	tp := g.topics()
	rec := g.alarmRecord(t, countywire.StepRaised, lifecycle("A1")[0])
	publish(t, pub, tp.Alarm("A1"), true, rec)
	mute := &gw{site: "mute"}
	publish(t, pub, mute.topics().Alarm("A9"), true, mute.alarmRecord(t, countywire.StepRaised, lifecycle("A9")[0]))

	var (
		mu   sync.Mutex
		reqs []countywire.Request
	)
	// The gateway: it answers every request on its down topic.
	sub := pub.Subscribe(tp.Down(), 1, func(c paho.Client, m paho.Message) {
		var r countywire.Request
		if err := json.Unmarshal(m.Payload(), &r); err != nil {
			t.Errorf("request: %v", err)
			return
		}
		mu.Lock()
		reqs = append(reqs, r)
		mu.Unlock()
		rep := countywire.Reply{ID: r.ID, OK: r.By == "cmd1", Status: 200}
		if !rep.OK {
			rep.Status, rep.Error = 403, "not allowed here"
		}
		c.Publish(tp.Reply(), 1, false, mustJSON(t, rep))
	})
	if !sub.WaitTimeout(30*time.Second) || sub.Error() != nil {
		t.Fatal(sub.Error())
	}
	v := startView(t, url, Config{ReplyWait: 5 * time.Second})
	testsvc.Eventually(t, 30*time.Second, "the alarms in the view", func() bool { return len(openIDs(v)) == 2 })

	rep, err := v.Act(context.Background(), permit.Staff("cmd1"), Key{Site: "lianhua", ID: "A1"}, countywire.ActAck, "on it")
	if err != nil || !rep.OK || rep.Status != 200 {
		t.Fatalf("ack from the county = %+v, %v; want the site's OK", rep, err)
	}
	mu.Lock()
	if len(reqs) != 1 || reqs[0].Action != countywire.ActAck || reqs[0].AlarmID != "A1" || reqs[0].By != "cmd1" || reqs[0].Note != "on it" || reqs[0].ID != rep.ID {
		t.Errorf("requests the site got = %+v", reqs)
	}
	mu.Unlock()

	// The site refuses police's resolve (its own table): the reply says so.
	rep, err = v.Act(context.Background(), permit.Staff("pol1"), Key{Site: "lianhua", ID: "A1"}, countywire.ActResolve, "")
	if err != nil || rep.OK || rep.Status != 403 {
		t.Errorf("refused resolve = %+v, %v; want the site's 403", rep, err)
	}
	// Nobody answers for site mute.
	if _, err := v.Act(context.Background(), permit.Staff("cmd1"), Key{Site: "mute", ID: "A9"}, countywire.ActAck, ""); !errors.Is(err, ErrNoReply) {
		t.Errorf("ack to a silent site: %v; want ErrNoReply", err)
	}
	// The county's own table: police may not switch emergency mode, a
	// stranger may not act at all; nothing is sent.
	mu.Lock()
	before := len(reqs)
	mu.Unlock()
	if _, err := v.Emergency(context.Background(), permit.Staff("pol1"), []string{"lianhua"}, "lh", true); !errors.Is(err, ErrForbidden) {
		t.Errorf("police emergency: %v; want ErrForbidden", err)
	}
	if _, err := v.Act(context.Background(), permit.Staff("nobody"), Key{Site: "lianhua", ID: "A1"}, countywire.ActAck, ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("stranger's ack: %v; want ErrForbidden", err)
	}
	// A broadcast to two sites: one answers, one does not.
	res, err := v.Broadcast(context.Background(), permit.Staff("cmd1"), []string{"lianhua", "mute"}, "lh", "暴雨预警")
	if err != nil || len(res) != 2 || res[0].Reply == nil || !res[0].Reply.OK || res[1].Reply != nil || res[1].Error == "" {
		t.Errorf("broadcast = %+v, %v; want lianhua OK and mute without a reply", res, err)
	}
	mu.Lock()
	if len(reqs) != before+1 || reqs[before].Action != countywire.ActBroadcast || reqs[before].Text != "暴雨预警" {
		t.Errorf("requests after the refusals and the broadcast = %+v", reqs[before:])
	}
	mu.Unlock()
}

// TestViewFollowsThroughBrokerRestart: the broker dies (kill -9) and
// comes back with its JetStream store; the view reconnects, subscribes
// again, still holds what was open and sees what came after.
func TestViewFollowsThroughBrokerRestart(t *testing.T) {
	n := startNATS(t)
	g := &gw{site: "lianhua"}
	pub := mqttClient(t, n.url(), "gw-before")
	rec := g.alarmRecord(t, countywire.StepRaised, lifecycle("A1")[0])
	publish(t, pub, g.topics().Alarm("A1"), true, rec)
	pub.Disconnect(100)
	v := startView(t, n.url(), Config{Settle: 300 * time.Millisecond})
	testsvc.Eventually(t, 30*time.Second, "A1 in the view", func() bool { return slices.Equal(openIDs(v), []string{"lianhua/A1"}) })

	n.stop()
	testsvc.Eventually(t, 60*time.Second, "the view noticing the broker gone", func() bool { return v.Ready() != nil })
	n.start()
	testsvc.Eventually(t, 60*time.Second, "the view subscribed again", func() bool { return v.Ready() == nil })
	pub = mqttClient(t, n.url(), "gw-after")
	rec = g.alarmRecord(t, countywire.StepRaised, lifecycle("A2")[0])
	publish(t, pub, g.topics().Events(), false, rec)
	publish(t, pub, g.topics().Alarm("A2"), true, rec)
	testsvc.Eventually(t, 30*time.Second, "A1 and A2 in the view", func() bool {
		return slices.Equal(openIDs(v), []string{"lianhua/A1", "lianhua/A2"})
	})
}

// TestViewTriesEveryNode: with the first node of the cluster down, the
// view connects to the next one it was given.
func TestViewTriesEveryNode(t *testing.T) {
	url := natsNode(t)
	dead := fmt.Sprintf("tcp://127.0.0.1:%d", testsvc.FreePort(t))
	reg := countyStaff(t)
	v, err := New(Config{County: testCounty, URL: dead, URLs: []string{url}, Registry: func() *registry.Registry { return reg }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	defer func() { cancel(); <-done }()
	testsvc.Eventually(t, 60*time.Second, "the view subscribed through the second node", func() bool { return v.Ready() == nil })
}
