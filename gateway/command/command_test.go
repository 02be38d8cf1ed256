package command

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/event"
)

type pub struct {
	mu   sync.Mutex
	msgs map[string][]byte
	err  error
}

func (p *pub) Publish(topic string, payload []byte, qos byte, retain bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if qos != 1 || retain {
		return errors.New("want QoS 1, not retained")
	}
	p.msgs[topic] = payload
	return nil
}

type rig struct {
	d       *Dispatcher
	pub     *pub
	now     time.Time
	results []Result
	prom    *prometheus.Registry
}

func newRig(t *testing.T) *rig {
	r := &rig{pub: &pub{msgs: map[string][]byte{}}, now: time.Unix(1_790_000_000, 0), prom: prometheus.NewRegistry()}
	d, err := New(Config{Publisher: r.pub, Topics: wire.Topics{Root: "gw"}, Timeout: time.Minute,
		Now: func() time.Time { return r.now }, OnResult: func(res Result) { r.results = append(r.results, res) },
		Registerer: r.prom})
	if err != nil {
		t.Fatal(err)
	}
	r.d = d
	return r
}

func TestSendAckAndTimeout(t *testing.T) {
	r := newRig(t)
	a, err := r.d.Send(event.Command{Device: "lb-0001", Cmd: "speak", Args: map[string]any{"text": "注意防骗"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r.d.Send(event.Command{Device: "lb-0002", Cmd: "speak"})
	c, _ := r.d.Send(event.Command{Device: "lb-0003", Cmd: "speak"})
	if a == b || b == c {
		t.Fatalf("ids not unique: %s %s %s", a, b, c)
	}
	var msg wire.CommandMsg
	if err := json.Unmarshal(r.pub.msgs["gw/dev/lb-0001/cmd"], &msg); err != nil || msg.CID != a || msg.Cmd != "speak" || msg.Args["text"] != "注意防骗" {
		t.Fatalf("published %s (%v)", r.pub.msgs["gw/dev/lb-0001/cmd"], err)
	}
	// An ack from the wrong device, or for an unknown id, matches nothing.
	if r.d.Ack(event.CommandAck{ID: a, Device: "lb-0002", OK: true}) || r.d.Ack(event.CommandAck{ID: "c-x", Device: "lb-0001", OK: true}) {
		t.Fatal("a stray ack matched")
	}
	r.now = r.now.Add(2 * time.Second)
	if !r.d.Ack(event.CommandAck{ID: a, Device: "lb-0001", OK: true}) {
		t.Fatal("ack did not match")
	}
	if r.d.Ack(event.CommandAck{ID: a, Device: "lb-0001", OK: true}) {
		t.Fatal("a second ack matched again")
	}
	r.d.Ack(event.CommandAck{ID: b, Device: "lb-0002", OK: false, Error: "speaker broken"})
	r.now = r.now.Add(57 * time.Second) // 59 s after sending
	r.d.Expire()
	if len(r.results) != 2 {
		t.Fatalf("expired too early: %+v", r.results)
	}
	r.now = r.now.Add(time.Second)
	r.d.Expire()
	want := []struct{ id, outcome, err string }{{a, OK, ""}, {b, Failed, "speaker broken"}, {c, Timeout, "no ack within 1m0s"}} // c at exactly 60 s
	if len(r.results) != 3 {
		t.Fatalf("results %+v", r.results)
	}
	for i, w := range want {
		if got := r.results[i]; got.ID != w.id || got.Outcome != w.outcome || got.Error != w.err {
			t.Errorf("result %d = %+v, want %+v", i, got, w)
		}
	}
	if r.results[0].DoneMS-r.results[0].SentMS != 2000 {
		t.Errorf("ok after %d ms, want 2000", r.results[0].DoneMS-r.results[0].SentMS)
	}
	if got := testutil.ToFloat64(r.d.unknown); got != 3 {
		t.Errorf("unknown acks = %v, want 3", got)
	}
	if got := testutil.ToFloat64(r.d.outcomes.WithLabelValues("speak", Timeout)); got != 1 {
		t.Errorf("timeouts = %v", got)
	}
}

func TestPublishFailureEndsTheCommand(t *testing.T) {
	r := newRig(t)
	r.pub.err = errors.New("broker down")
	if _, err := r.d.Send(event.Command{Device: "lb-0001", Cmd: "strobe"}); err == nil {
		t.Fatal("no error")
	}
	if len(r.results) != 0 || testutil.ToFloat64(r.d.outcomes.WithLabelValues("strobe", Failed)) != 1 {
		t.Fatalf("a failed publish: results %+v (want none: the caller has the error), counted %v", r.results,
			testutil.ToFloat64(r.d.outcomes.WithLabelValues("strobe", Failed)))
	}
	r.now = r.now.Add(2 * time.Minute)
	r.d.Expire()
	if len(r.results) != 0 {
		t.Fatalf("a failed publish stayed pending: %+v", r.results)
	}
	if _, err := r.d.Send(event.Command{Device: "bad/id", Cmd: "strobe"}); err == nil {
		t.Fatal("bad device id accepted")
	}
}

// TestSendWaitReturnsTheDevicesAnswer: an HTTP caller waits for the ack
// of the command it sent, or gives up when its context ends while the
// command stays pending.
func TestSendWaitReturnsTheDevicesAnswer(t *testing.T) {
	r := newRig(t)
	topic := wire.Topics{Root: "gw"}.Command("lb-0001")
	go func() { // the device: answers the command it finds published
		for {
			r.pub.mu.Lock()
			raw := r.pub.msgs[topic]
			r.pub.mu.Unlock()
			if raw != nil {
				var m wire.CommandMsg
				if err := json.Unmarshal(raw, &m); err == nil {
					r.d.Ack(event.CommandAck{ID: m.CID, Device: "lb-0001", OK: false, Error: "no strobe fitted"})
				}
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	res, err := r.d.SendWait(t.Context(), event.Command{Device: "lb-0001", Cmd: "strobe", Args: map[string]any{"seconds": 5}})
	if err != nil || res.Outcome != Failed || res.Error != "no strobe fitted" || res.DoneMS == 0 {
		t.Fatalf("SendWait = %+v, %v; want the device's refusal", res, err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, err = r.d.SendWait(ctx, event.Command{Device: "lb-0002", Cmd: "siren"})
	if !errors.Is(err, context.Canceled) || res.Outcome != "" || res.ID == "" {
		t.Fatalf("SendWait with a done context = %+v, %v; want its id, no outcome and context.Canceled", res, err)
	}
	r.d.mu.Lock()
	_, pending := r.d.pending[res.ID]
	waiters := len(r.d.waiters)
	r.d.mu.Unlock()
	if !pending || waiters != 0 {
		t.Fatalf("after giving up: pending=%v waiters=%d; want the command pending and no waiter left", pending, waiters)
	}
}
