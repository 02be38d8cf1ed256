package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/firmware-sim/phone"
	"github.com/gridwatch/gridwatch/gateway/broadcast"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// rawPhone is a staff phone whose MQTT acknowledgements the test controls:
// auto-ack is off, so a page stays unacknowledged until ack is called.
type rawPhone struct {
	c    paho.Client
	mu   sync.Mutex
	msgs map[string][]paho.Message // page id → copies received
}

func (s *site) rawPhone(staff string) *rawPhone {
	s.t.Helper()
	p := &rawPhone{msgs: map[string][]paho.Message{}}
	opts := paho.NewClientOptions().AddBroker(s.broker).SetClientID("phone-" + staff).SetCleanSession(false).
		SetAutoAckDisabled(true).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).SetOrderMatters(false).
		SetDefaultPublishHandler(p.handle)
	p.c = paho.NewClient(opts)
	if tok := p.c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		s.t.Fatalf("connect phone-%s: %v", staff, tok.Error())
	}
	if tok := p.c.Subscribe(s.topics.Notify(staff), 1, p.handle); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		s.t.Fatalf("subscribe %s: %v", staff, tok.Error())
	}
	s.t.Cleanup(func() { p.c.Disconnect(0) })
	return p
}

func (p *rawPhone) handle(_ paho.Client, m paho.Message) {
	var n event.Notification
	if json.Unmarshal(m.Payload(), &n) != nil || n.PageID == "" {
		return
	}
	p.mu.Lock()
	p.msgs[n.PageID] = append(p.msgs[n.PageID], m)
	p.mu.Unlock()
}

// pages is the page ids received so far.
func (p *rawPhone) pages() map[string]event.Notification {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]event.Notification{}
	for id, ms := range p.msgs {
		var n event.Notification
		_ = json.Unmarshal(ms[0].Payload(), &n)
		out[id] = n
	}
	return out
}

// ack sends the PUBACK of every copy of page id received so far.
func (p *rawPhone) ack(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.msgs[id] {
		m.Ack()
	}
}

func pageOf(a alarm.Alarm, staff string) (alarm.Page, bool) {
	for _, p := range a.Pages {
		if p.Staff == staff {
			return p, true
		}
	}
	return alarm.Page{}, false
}

// TestPageDeliveredOnlyWhenThePhoneAcknowledges: wang's phone gets the
// page of a panic but has not acknowledged it (no PUBACK): the API, and
// the retained alarm on the board, say queued — the broker taking the
// publish is not delivery. Once the phone acknowledges, the page is
// delivered, the timeline says so, and the metrics count it.
func TestPageDeliveredOnlyWhenThePhoneAcknowledges(t *testing.T) {
	s := startSite(t, siteOptions{})
	phone := s.rawPhone("wang")
	var boardMu sync.Mutex
	var board []alarm.Alarm
	watcher := s.client("console-watch", true, nil)
	watcher.Subscribe(s.topics.Root+"/alarms/+", 1, func(_ paho.Client, m paho.Message) {
		var a alarm.Alarm
		if json.Unmarshal(m.Payload(), &a) == nil {
			boardMu.Lock()
			board = append(board, a)
			boardMu.Unlock()
		}
	}).WaitTimeout(wait)

	// A console watching every phone's notify topic acknowledges what it
	// gets: that is not wang's phone confirming.
	var watched sync.WaitGroup
	watched.Add(1)
	var once sync.Once
	s.client("console-staff-watch", false, nil).Subscribe(s.topics.Root+"/staff/+/notify", 1, func(paho.Client, paho.Message) {
		once.Do(watched.Done)
	}).WaitTimeout(wait)
	s.press(s.client("lb-0001", true, nil), "lb-0001", 1)
	testsvc.Eventually(t, wait, "wang's phone gets the page", func() bool { return len(phone.pages()) == 1 })
	watched.Wait()
	var n event.Notification
	for _, n = range phone.pages() {
	}
	if n.PageID == "" || n.AlarmID == "" {
		t.Fatalf("page without a page id: %+v", n)
	}
	time.Sleep(300 * time.Millisecond) // what could wrongly mark it delivered has had its time
	var a alarm.Alarm
	s.getJSON("/api/v1/alarms/"+n.AlarmID, &a)
	if p, ok := pageOf(a, "wang"); !ok || p.State != event.PageQueued || p.ID != n.PageID || p.Step != 0 || p.Channel != event.PageApp {
		t.Fatalf("before the phone's PUBACK wang's page is %+v (pages %+v), want queued on the app", p, a.Pages)
	}
	phone.ack(n.PageID)
	testsvc.Eventually(t, wait, "wang's page delivered", func() bool {
		s.getJSON("/api/v1/alarms/"+n.AlarmID, &a)
		p, _ := pageOf(a, "wang")
		return p.State == event.PageDelivered && p.DeliveredMS >= p.QueuedMS
	})
	var delivered []alarm.Entry
	for _, e := range a.Timeline {
		if e.Kind == alarm.EntryDelivered {
			delivered = append(delivered, e)
		}
	}
	if len(delivered) != 1 || delivered[0].By != "wang" || delivered[0].Channel != event.PageApp || delivered[0].Step != 0 {
		t.Errorf("delivered entries %+v, want one for wang over the app", delivered)
	}
	if p, _ := pageOf(a, "room1"); p.State != event.PageQueued {
		t.Errorf("room1 (no phone connected) page %+v, want queued", p)
	}
	testsvc.Eventually(t, wait, "the board shows wang's page delivered", func() bool {
		boardMu.Lock()
		defer boardMu.Unlock()
		if len(board) == 0 {
			return false
		}
		p, _ := pageOf(board[len(board)-1], "wang")
		return p.State == event.PageDelivered
	})
	m := s.metrics()
	testsvc.LintMetrics(t, []byte(m))
	for _, want := range []string{`gridwatch_pages_total{channel="app",outcome="delivered"} 1`, `gridwatch_pages_pending 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestReconnectingPhoneGetsEveryPage: a phone with a persistent session
// drops its connection and reconnects every few hundred milliseconds
// while 600 pages (broadcasts to its cell) go to it. Every page reaches
// it, and the API calls a page delivered exactly when the phone
// acknowledged it: the phone withholds the PUBACK of every 20th, and
// those stay pending.
func TestReconnectingPhoneGetsEveryPage(t *testing.T) {
	if testing.Short() {
		t.Skip("600 pages through a reconnecting phone")
	}
	const total, withheldEvery = 600, 20
	s := startSite(t, siteOptions{})
	var mu sync.Mutex
	seen := map[string]int{} // broadcast id → copies
	handle := func(_ paho.Client, m paho.Message) {
		var n event.Notification
		if json.Unmarshal(m.Payload(), &n) != nil {
			return
		}
		mu.Lock()
		seen[n.BroadcastID]++
		mu.Unlock()
		var i int
		if _, err := fmt.Sscanf(n.Text, "notice %d", &i); err == nil && i%withheldEvery != 0 {
			m.Ack()
		}
	}
	opts := paho.NewClientOptions().AddBroker(s.broker).SetClientID("phone-chen").SetCleanSession(false).
		SetAutoAckDisabled(true).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).SetOrderMatters(false).
		SetDefaultPublishHandler(handle)
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	if tok := c.Subscribe(s.topics.Notify("chen"), 1, handle); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	stop := make(chan struct{})
	flapped := make(chan int)
	go func() {
		n := 0
		defer func() { flapped <- n }()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(100+rand.IntN(300)) * time.Millisecond):
			}
			c.Disconnect(0)
			n++
			for tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil; tok = c.Connect() {
				select {
				case <-stop:
					return
				default:
				}
			}
		}
	}()
	var ids []string
	for i := range total {
		code, body := s.post("/api/v1/broadcasts", fmt.Sprintf(`{"grid":"lh-g4-08","text":"notice %d","by":"room1"}`, i))
		if code != http.StatusCreated {
			t.Fatalf("broadcast %d: %d %s", i, code, body)
		}
		var b broadcast.Broadcast
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, b.ID)
		time.Sleep(10 * time.Millisecond) // pages flow while the phone comes and goes
	}
	close(stop)
	t.Logf("the phone reconnected %d times while %d pages went out", <-flapped, total)
	if !c.IsConnected() {
		if tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	defer c.Disconnect(0)
	testsvc.Eventually(t, 2*time.Minute, "every page on the phone", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == total
	})
	status := func(id string) string {
		var b broadcast.Broadcast
		s.getJSON("/api/v1/broadcasts/"+id, &b)
		for _, tg := range b.Targets {
			if tg.ID == "chen" {
				return tg.Status
			}
		}
		return "missing"
	}
	testsvc.Eventually(t, time.Minute, "every acknowledged page delivered", func() bool {
		for i, id := range ids {
			if i%withheldEvery != 0 && status(id) != broadcast.Delivered {
				return false
			}
		}
		return true
	})
	for i, id := range ids {
		if i%withheldEvery == 0 {
			if st := status(id); st != broadcast.Pending {
				t.Errorf("broadcast %d (%s): chen's page %q although the phone never acknowledged it", i, id, st)
			}
		}
	}
}

// TestUnconfirmedPageFallsBackToSMS: wang's phone is connected and
// subscribed, so the broker takes the page, but the phone never
// acknowledges it. After delivery.fallback_after the page goes to SMS,
// and is delivered by SMS once the SMS gateway answered 2xx.
func TestUnconfirmedPageFallsBackToSMS(t *testing.T) {
	var mu sync.Mutex
	var texts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ To, Text string }
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		texts = append(texts, m.To)
		mu.Unlock()
	}))
	defer srv.Close()
	s := startSite(t, siteOptions{mutate: func(c *config.Config) {
		c.SMS = config.SMS{URL: srv.URL, Body: `{"to": {{json .Phone}}, "text": {{json .Text}}}`}
		c.Delivery.FallbackAfter = time.Second
	}})
	phone := s.rawPhone("wang")
	room := s.rawPhone("room1")
	s.press(s.client("lb-0001", true, nil), "lb-0001", 1)
	testsvc.Eventually(t, wait, "the phones get the page", func() bool { return len(phone.pages()) == 1 && len(room.pages()) == 1 })
	for id := range room.pages() {
		room.ack(id) // the security room's phone confirms at once: no SMS
	}
	var n event.Notification
	for _, n = range phone.pages() {
	}
	var a alarm.Alarm
	testsvc.Eventually(t, 30*time.Second, "wang's page delivered by SMS", func() bool {
		s.getJSON("/api/v1/alarms/"+n.AlarmID, &a)
		p, _ := pageOf(a, "wang")
		return p.State == event.PageDelivered && p.Channel == event.PageSMS
	})
	mu.Lock()
	if len(texts) != 1 || texts[0] != "13800000001" {
		t.Errorf("SMS sent to %v, want wang's number only", texts)
	}
	mu.Unlock()
	var kinds []string
	for _, e := range a.Timeline {
		if e.By == "wang" {
			kinds = append(kinds, string(e.Kind)+":"+e.Channel)
		}
	}
	if strings.Join(kinds, ",") != "fallback:sms,delivered:sms" {
		t.Errorf("wang's timeline %v, want fallback:sms, delivered:sms", kinds)
	}
	if p, _ := pageOf(a, "room1"); p.State != event.PageDelivered || p.Channel != event.PageApp {
		t.Errorf("room1's page %+v, want delivered over the app", p)
	}
}

// TestReceiptsMarkPagesDeliveredThroughMosquitto: through an external
// Mosquitto the gateway cannot see a phone's acknowledgement, so a page
// stays queued until the phone's receipt arrives on its reply topic. The
// simulated phone sends one for every page; a raw phone that sends none
// leaves its page queued; a receipt from another person's phone for it
// does not count.
func TestReceiptsMarkPagesDeliveredThroughMosquitto(t *testing.T) {
	mq := testsvc.Mosquitto(t)
	s := startSite(t, siteOptions{external: mq.URL})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wang, err := phone.New(phone.Config{Dial: mqttconn.Dial{Broker: mq.URL}, Topics: s.topics, Staff: "wang", Fresh: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = wang.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-wang.Ready():
	case <-time.After(wait):
		t.Fatal("wang's phone not subscribed")
	}
	room := s.rawPhone("room1") // acknowledges nothing and sends no receipt
	s.press(s.client("lb-0001", true, nil), "lb-0001", 1)
	testsvc.Eventually(t, wait, "the security room's phone gets the page", func() bool { return len(room.pages()) == 1 })
	var n event.Notification
	for _, n = range room.pages() {
	}
	// wang's phone claims room1's page: not wang's to confirm.
	s.publish(s.client("wang-forger", true, nil), s.topics.Reply("wang"), fmt.Appendf(nil, `{"action":"received","page_id":%q}`, n.PageID))
	var a alarm.Alarm
	testsvc.Eventually(t, wait, "wang's page delivered by receipt", func() bool {
		s.getJSON("/api/v1/alarms/"+n.AlarmID, &a)
		p, _ := pageOf(a, "wang")
		return p.State == event.PageDelivered && p.Channel == event.PageApp
	})
	if p, _ := pageOf(a, "room1"); p.State != event.PageQueued {
		t.Errorf("room1's page %+v, want queued: no receipt from room1's phone", p)
	}
	if st := wang.Stats(); st.Received != 1 {
		t.Errorf("wang's phone stats %+v", st)
	}
}
