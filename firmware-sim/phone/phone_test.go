package phone

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/internal/brokertest"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testlog"
)

const root = "test/v1"

var topics = wire.Topics{Root: root}

// run runs p until the returned stop is called (or the test ends) and
// waits until it is subscribed.
func run(t *testing.T, p *Phone) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := p.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	stop = func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	select {
	case <-p.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("phone not subscribed within 10s")
	}
	return stop
}

func notify(t *testing.T, c paho.Client, staff string, n event.Notification) {
	t.Helper()
	b, _ := json.Marshal(n)
	brokertest.Publish(t, c, topics.Notify(staff), 1, false, b)
}

func nextReply(t *testing.T, ch <-chan paho.Message) event.Action {
	t.Helper()
	a, err := wire.DecodeReply("wang", brokertest.Next(t, ch, "reply").Payload(), 0)
	if err != nil {
		t.Fatalf("reply rejected by the gateway's decoder: %v", err)
	}
	return a
}

func TestPhonePrintsAndRepliesOncePerAlarm(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	replies := brokertest.Subscribe(t, gw, topics.Reply("wang"))
	var out testlog.Buffer
	var mu sync.Mutex
	var got []Received
	p, err := New(Config{
		Dial: mqttconn.Dial{Broker: b.URL}, Topics: topics, Staff: "wang", Out: &out,
		OnNotify: func(r Received) { mu.Lock(); got = append(got, r); mu.Unlock() },
		Replies:  []Planned{{event.Ack, 0}, {event.Arrive, 30 * time.Millisecond}, {event.Resolve, 60 * time.Millisecond}},
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, p)

	n := event.Notification{AlarmID: "a-1", Rule: "panic", Severity: event.Red, Title: "Panic", Device: "lb-0001", Grid: "lh-g4-07", Step: 0}
	notify(t, gw, "wang", n)
	n.Step = 1 // the next step of the same alarm: printed, not answered again
	notify(t, gw, "wang", n)

	for _, want := range []event.ActionKind{event.Ack, event.Arrive, event.Resolve} {
		if a := nextReply(t, replies); a.AlarmID != "a-1" || a.Kind != want {
			t.Fatalf("reply = %+v, want %s a-1", a, want)
		}
	}
	brokertest.WaitFor(t, "two printed lines", func() bool { return strings.Count(out.String(), "\n") == 2 })
	if !strings.Contains(out.String(), "wang RED    step 0") || !strings.Contains(out.String(), "step 1") {
		t.Fatalf("printed:\n%s", out.String())
	}
	select {
	case m := <-replies:
		t.Fatalf("a second round of replies for the same alarm: %s", m.Payload())
	case <-time.After(200 * time.Millisecond):
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].Notification.AlarmID != "a-1" || got[0].At.IsZero() || got[0].Staff != "wang" {
		t.Fatalf("OnNotify got %+v", got)
	}
}

// A real phone keeps its session: what is sent while it is away arrives
// when it comes back.
func TestPhoneGetsWhatWasSentWhileAway(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	recv := make(chan Received, 8)
	cfg := Config{Dial: mqttconn.Dial{Broker: b.URL}, Topics: topics, Staff: "wang", OnNotify: func(r Received) { recv <- r }}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, p)
	stop()

	notify(t, gw, "wang", event.Notification{AlarmID: "a-7", Device: "lb-0001", Severity: event.Red})

	p2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	run(t, p2)
	select {
	case r := <-recv:
		if r.Notification.AlarmID != "a-7" {
			t.Fatalf("got %+v", r.Notification)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the notification sent while the phone was away never arrived")
	}
}

func TestNewAndReplyRejectBadInput(t *testing.T) {
	good := Config{Dial: mqttconn.Dial{Broker: "tcp://127.0.0.1:1883"}, Staff: "wang"}
	bad := func(f func(*Config)) Config { c := good; f(&c); return c }
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"staff id", bad(func(c *Config) { c.Staff = "wang fang" }), "staff id"},
		{"broker", bad(func(c *Config) { c.Dial.Broker = "" }), "broker"},
		{"action", bad(func(c *Config) { c.Replies = []Planned{{Action: "cheer"}} }), "unknown reply action"},
		{"delay", bad(func(c *Config) { c.Replies = []Planned{{Action: event.Ack, After: -time.Second}} }), "negative delay"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	p, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Reply(context.Background(), "", event.Ack, ""); err == nil {
		t.Error("reply without alarm id accepted")
	}
	if err := p.Reply(context.Background(), "a-1", "cheer", ""); err == nil {
		t.Error("reply with unknown action accepted")
	}
	if err := p.Reply(context.Background(), "a-1", event.Ack, ""); err == nil {
		t.Error("reply while not connected reported success")
	}
}

// TestPhoneConfirmsPagesAndDropsSecondCopies: the phone sends a receipt
// for every page it gets (a second copy too: the first receipt may have
// been lost), shows a page once, and counts the second copy.
func TestPhoneConfirmsPagesAndDropsSecondCopies(t *testing.T) {
	b := brokertest.Start(t)
	gw := brokertest.Client(t, b.URL, "gw")
	replies := brokertest.Subscribe(t, gw, topics.Reply("wang"))
	var mu sync.Mutex
	var shown []string
	p, err := New(Config{Dial: mqttconn.Dial{Broker: b.URL}, Topics: topics, Staff: "wang",
		OnNotify: func(r Received) { mu.Lock(); shown = append(shown, r.Notification.PageID); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	run(t, p)
	n := event.Notification{AlarmID: "a-1", Rule: "panic", Severity: event.Red, Step: 0, PageID: "a-1.0.wang"}
	notify(t, gw, "wang", n)
	notify(t, gw, "wang", n) // the gateway re-sent it
	n.Step, n.PageID = 1, "a-1.1.wang"
	notify(t, gw, "wang", n)
	// One receipt per copy; the phone may send them in any order (paho
	// runs message handlers as they come, not one after another).
	var receipts []string
	for range 3 {
		page, ok, err := wire.DecodeReceipt(brokertest.Next(t, replies, "receipt").Payload())
		if !ok || err != nil {
			t.Fatalf("receipt %q (%v, %v)", page, ok, err)
		}
		receipts = append(receipts, page)
	}
	slices.Sort(receipts)
	if got := strings.Join(receipts, ","); got != "a-1.0.wang,a-1.0.wang,a-1.1.wang" {
		t.Fatalf("receipts %s, want one for each copy: a-1.0.wang twice, a-1.1.wang once", got)
	}
	for deadline := time.Now().Add(10 * time.Second); p.Stats().Received < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // the receipt goes out before the page is shown
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(shown) // handlers run as the pages come, not one after another
	if strings.Join(shown, ",") != "a-1.0.wang,a-1.1.wang" {
		t.Errorf("shown %v, want each page once", shown)
	}
	if st := p.Stats(); st.Received != 2 || st.Duplicates != 1 {
		t.Errorf("stats %+v, want 2 received and 1 duplicate", st)
	}
}
