package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsite"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// step1Wait is red step 1's deadline in this test: long enough for a
// kill -9 and a restart to fall inside it on a quiet machine, but the test
// holds either way (a deadline that passed while the gateway was down
// fires at once on restart, marked late).
const step1Wait = 4 * time.Second

// TestKill9MidEscalation is issue 4's durability test: the gateway is
// killed between step 0 and step 1 of a red alarm; after the restart step
// 1 still fires, not before its deadline, exactly once; killed again after
// step 1, it does not fire step 1 a second time.
func TestKill9MidEscalation(t *testing.T) {
	d := newDaemon(t)
	d.writeRegistry(testsite.Ladder + testsite.Lightbox("lb-0001", "莲花路12号", ""))
	d.addConfig(redSteps(step1Wait))

	gw := d.start()
	phones := newPhones(t, d.mqttAddr, "wang", "zhao", "li", "cmd1")
	pressed := time.Now()
	d.press("lb-0001", 1)
	testsvc.Eventually(t, 20*time.Second, "step 0 to wang", func() bool { return phones.count("wang") == 1 })
	alarmID := phones.get("wang")[0].AlarmID

	kill(t, gw.Process)
	if n := phones.count("zhao"); n != 0 {
		// Only a machine stalled for the whole 4 s gets here; what
		// follows still proves that nothing is sent twice.
		t.Logf("step 1 went out before the kill; this run checks only that it is not repeated")
	}
	gw = d.start()
	testsvc.Eventually(t, 30*time.Second, "step 1 to zhao and li after the restart", func() bool {
		return phones.count("zhao") >= 1 && phones.count("li") >= 1
	})
	a := d.alarm(alarmID)
	steps := notifiedSteps(a)
	if steps[1] != 1 {
		t.Fatalf("step 1 in the timeline %d times, want once: %+v", steps[1], a.Timeline)
	}
	for _, e := range a.Timeline {
		if e.Kind == alarm.EntryNotified && e.Step == 1 && e.At < a.RaisedMS+step1Wait.Milliseconds() {
			t.Errorf("step 1 sent at %d, before its deadline %d", e.At, a.RaisedMS+step1Wait.Milliseconds())
		}
	}
	if n := phones.get("zhao")[0]; n.Step != 1 || n.AlarmID != alarmID {
		t.Errorf("zhao got %+v, want step 1 of %s", n, alarmID)
	}
	if steps[0] != 1 {
		t.Errorf("step 0 in the timeline %d times after the restart, want once", steps[0])
	}
	t.Logf("pressed → step 1 at %v (deadline %v)", time.Duration(lastNotified(a, 1)-pressed.UnixMilli())*time.Millisecond, step1Wait)

	// Killed again after step 1: the restart must not send it again.
	kill(t, gw.Process)
	d.start()
	time.Sleep(2 * time.Second) // a second send would come at once after ready
	a = d.alarm(alarmID)
	if got := notifiedSteps(a); got[0] != 1 || got[1] != 1 || got[2] != 0 {
		t.Errorf("after the second restart, steps sent %v, want step 0 and 1 once each, step 2 not yet", got)
	}
	// A page whose delivery was not yet on disk at the kill may come
	// again, with the same page id (the phone shows it once); a second
	// step 1 would be a new page.
	pages := map[string]bool{}
	for _, n := range phones.get("zhao") {
		pages[n.PageID] = true
	}
	if len(pages) != 1 {
		t.Errorf("zhao got %d pages (%d copies), want one", len(pages), phones.count("zhao"))
	}
	if a.State != alarm.Open {
		t.Errorf("state %s, want open", a.State)
	}
}

func kill(t *testing.T, c interface{ Kill() error }) {
	t.Helper()
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
}

func notifiedSteps(a alarm.Alarm) map[int]int {
	out := map[int]int{}
	for _, e := range a.Timeline {
		if e.Kind == alarm.EntryNotified {
			out[e.Step]++
		}
	}
	return out
}

func lastNotified(a alarm.Alarm, step int) int64 {
	var at int64
	for _, e := range a.Timeline {
		if e.Kind == alarm.EntryNotified && e.Step == step {
			at = e.At
		}
	}
	return at
}

// press publishes a button press from dev and waits for its PUBACK.
func (d *daemon) press(dev string, seq int) {
	t := d.t
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + d.mqttAddr).SetClientID(dev).SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", dev, tok.Error())
	}
	defer c.Disconnect(0)
	tok := c.Publish("gridwatch/v1/dev/"+dev+"/evt", 1, false, fmt.Sprintf(`{"type":"button.pressed","seq":%d,"ts":%d}`, seq, time.Now().UnixMilli()))
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("press %s: no PUBACK: %v", dev, tok.Error())
	}
}

// alarm fetches one alarm with its timeline.
func (d *daemon) alarm(id string) alarm.Alarm {
	d.t.Helper()
	var a alarm.Alarm
	testsvc.Eventually(d.t, 20*time.Second, "GET alarm "+id, func() bool {
		resp, err := http.Get("http://" + d.httpAddr + "/api/v1/alarms/" + id)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&a) == nil
	})
	return a
}

// phones are staff phones on the gateway's broker: persistent sessions
// that reconnect by themselves across restarts of the gateway, so a page
// published while one is reconnecting still arrives.
type phones struct {
	mu  sync.Mutex
	got map[string][]event.Notification
}

func newPhones(t *testing.T, addr string, ids ...string) *phones {
	t.Helper()
	p := &phones{got: map[string][]event.Notification{}}
	for _, id := range ids {
		topic := "gridwatch/v1/staff/" + id + "/notify"
		onMsg := func(_ paho.Client, m paho.Message) {
			var n event.Notification
			if json.Unmarshal(m.Payload(), &n) != nil {
				t.Errorf("%s: bad notification %s", id, m.Payload())
				return
			}
			p.mu.Lock()
			p.got[id] = append(p.got[id], n)
			p.mu.Unlock()
		}
		opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id + "-phone").
			SetCleanSession(false).SetAutoReconnect(true).SetConnectRetry(true).
			SetMaxReconnectInterval(200 * time.Millisecond).
			SetOnConnectHandler(func(c paho.Client) { c.Subscribe(topic, 1, onMsg) })
		c := paho.NewClient(opts)
		if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("phone %s: %v", id, tok.Error())
		}
		t.Cleanup(func() { c.Disconnect(0) })
		// The handler subscribes again at every reconnect; this first
		// subscription is waited for, so nothing is pressed too early.
		if tok := c.Subscribe(topic, 1, onMsg); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("phone %s: subscribe: %v", id, tok.Error())
		}
	}
	return p
}

func (p *phones) count(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got[id])
}

func (p *phones) get(id string) []event.Notification {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]event.Notification(nil), p.got[id]...)
}
