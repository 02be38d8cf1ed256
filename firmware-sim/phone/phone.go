package phone

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/event"
)

// inbox bounds the notifications received but not yet handled. A phone
// that falls this far behind logs and drops rather than stall its client.
const inbox = 4096

// Planned is one automatic reply: Action, After the alarm's first
// notification arrived.
type Planned struct {
	Action event.ActionKind
	After  time.Duration
}

// Received is one notification as the phone got it.
type Received struct {
	Staff        string
	Notification event.Notification
	// At is when the MQTT client handed the message over (monotonic).
	At time.Time
}

// Config configures one phone.
type Config struct {
	Dial   mqttconn.Dial
	Topics wire.Topics
	Staff  string
	// ClientID defaults to phone-{Staff}.
	ClientID string
	// Fresh asks for a clean session: no notifications queued while away.
	// Real phones (the default) keep theirs; checks and benches want only
	// what happens while they run.
	Fresh bool
	// Out receives one line per notification; nil prints nothing.
	Out io.Writer
	// OnNotify is called on the phone's Run goroutine for every
	// notification; it must return quickly.
	OnNotify func(Received)
	// Replies are sent automatically once per alarm, in the given delays.
	Replies []Planned
	Logger  *slog.Logger
}

// Phone is one simulated staff phone. New starts nothing; Run connects
// and listens until its context ends.
type Phone struct {
	cfg       Config
	log       *slog.Logger
	client    paho.Client
	msgs      chan Received
	connected chan struct{}
	ready     chan struct{}

	received   atomic.Int64
	duplicates atomic.Int64
}

// Stats counts what a phone got: notifications shown, and second copies
// of a page it had already shown (dropped, not shown again).
type Stats struct {
	Received   int64
	Duplicates int64
}

// Stats returns the phone's counts so far. It is safe to call from any
// goroutine.
func (p *Phone) Stats() Stats {
	return Stats{Received: p.received.Load(), Duplicates: p.duplicates.Load()}
}

// New checks cfg and prepares the phone.
func New(cfg Config) (*Phone, error) {
	if !wire.ValidID(cfg.Staff) {
		return nil, fmt.Errorf("phone: staff id %q must match [A-Za-z0-9._-]{1,64}", cfg.Staff)
	}
	if err := cfg.Dial.Validate(); err != nil {
		return nil, fmt.Errorf("phone %s: %w", cfg.Staff, err)
	}
	for _, r := range cfg.Replies {
		if !r.Action.Valid() {
			return nil, fmt.Errorf("phone %s: unknown reply action %q (want ack, arrive or resolve)", cfg.Staff, r.Action)
		}
		if r.After < 0 {
			return nil, fmt.Errorf("phone %s: negative delay %v for %s", cfg.Staff, r.After, r.Action)
		}
	}
	if cfg.Topics.Root == "" {
		cfg.Topics.Root = wire.DefaultRoot
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "phone-" + cfg.Staff
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &Phone{
		cfg:       cfg,
		log:       cfg.Logger.With("phone", cfg.Staff),
		msgs:      make(chan Received, inbox),
		connected: make(chan struct{}, 1),
		ready:     make(chan struct{}),
	}
	// The same handler serves the subscription and, with a persistent
	// session, whatever the broker delivers before we resubscribe.
	o := cfg.Dial.Options(cfg.ClientID).
		SetCleanSession(cfg.Fresh).
		SetDefaultPublishHandler(p.handle).
		SetOnConnectHandler(func(paho.Client) {
			select {
			case p.connected <- struct{}{}:
			default:
			}
		})
	p.client = paho.NewClient(o)
	return p, nil
}

// Staff is the staff id of the phone.
func (p *Phone) Staff() string { return p.cfg.Staff }

// Ready is closed once the phone is subscribed to its notify topic.
func (p *Phone) Ready() <-chan struct{} { return p.ready }

// handle runs on a paho goroutine: stamp, decode, queue, never block.
func (p *Phone) handle(_ paho.Client, m paho.Message) {
	at := time.Now()
	var n event.Notification
	if err := json.Unmarshal(m.Payload(), &n); err != nil {
		p.log.Warn("malformed notification ignored", "topic", m.Topic(), "err", err)
		return
	}
	select {
	case p.msgs <- Received{Staff: p.cfg.Staff, Notification: n, At: at}:
	default:
		p.log.Error("notification dropped: phone too far behind", "alarm", n.AlarmID)
	}
}

// Run connects (retrying until ctx ends), subscribes, and handles
// notifications and planned replies until ctx ends.
func (p *Phone) Run(ctx context.Context) error {
	if !p.connect(ctx) {
		return nil
	}
	defer p.client.Disconnect(uint(mqttconn.DisconnectQuiesce / time.Millisecond))

	var plan schedule
	seen := newRecent(inbox)
	pages := newRecent(inbox) // pages shown: a second copy is not shown again
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	subscribed := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.connected:
			err := p.cfg.Dial.Subscribe(ctx, p.client, p.cfg.Topics.Notify(p.cfg.Staff), 1, p.handle)
			if err != nil {
				p.log.Warn("subscribe failed", "err", err)
				continue
			}
			if !subscribed {
				subscribed = true
				p.log.Info("listening", "topic", p.cfg.Topics.Notify(p.cfg.Staff), "client", p.cfg.ClientID, "persistent", !p.cfg.Fresh)
				close(p.ready)
			}
		case r := <-p.msgs:
			p.receipt(r.Notification)
			if !pages.add(pageKey(r.Notification)) {
				p.duplicates.Add(1)
				p.log.Debug("second copy of a page dropped", "page", r.Notification.PageID, "alarm", r.Notification.AlarmID)
				continue
			}
			p.received.Add(1)
			if p.cfg.Out != nil {
				fmt.Fprintln(p.cfg.Out, Line(p.cfg.Staff, r.Notification, r.At))
			}
			if p.cfg.OnNotify != nil {
				p.cfg.OnNotify(r)
			}
			if len(p.cfg.Replies) > 0 && seen.add(r.Notification.AlarmID) {
				for _, pl := range p.cfg.Replies {
					plan.add(r.At.Add(pl.After), r.Notification.AlarmID, pl.Action)
				}
			}
		case <-timer.C:
		}
		for _, due := range plan.popDue(time.Now()) {
			if err := p.Reply(ctx, due.alarm, due.action, "gridsim"); err != nil && ctx.Err() == nil {
				p.log.Warn("reply not sent", "alarm", due.alarm, "action", due.action, "err", err)
			}
		}
		if next, ok := plan.next(); ok {
			timer.Reset(time.Until(next))
		}
	}
}

func (p *Phone) connect(ctx context.Context) bool {
	backoff := 500 * time.Millisecond
	for {
		err := p.cfg.Dial.Connect(ctx, p.client)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		p.log.Warn("connect failed, retrying", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// pageKey names a page for de-duplication: its page id, or (from a
// gateway that sends none) its alarm and step, or broadcast.
func pageKey(n event.Notification) string {
	switch {
	case n.PageID != "":
		return n.PageID
	case n.Kind == event.KindBroadcast:
		return "b." + n.BroadcastID
	}
	return n.AlarmID + "." + strconv.Itoa(n.Step)
}

// receipt confirms a page to the gateway on the reply topic, without
// waiting: the receipt is how a page counts as delivered when the gateway
// cannot see this phone's MQTT acknowledgement (an external broker). A
// second copy is confirmed again: the first receipt may have been lost.
func (p *Phone) receipt(n event.Notification) {
	if n.PageID == "" {
		return
	}
	b, err := json.Marshal(wire.ReceiptMsg{Action: wire.ActionReceived, PageID: n.PageID})
	if err != nil {
		return
	}
	p.client.Publish(p.cfg.Topics.Reply(p.cfg.Staff), 1, false, b) // paho queues it while offline
}

// Reply publishes one reply for alarmID at QoS 1 and waits (bounded) for
// the broker's PUBACK. It is safe to call from any goroutine while Run
// runs.
func (p *Phone) Reply(ctx context.Context, alarmID string, action event.ActionKind, note string) error {
	if alarmID == "" {
		return errors.New("reply: no alarm id")
	}
	if !action.Valid() {
		return fmt.Errorf("reply: unknown action %q (want ack, arrive or resolve)", action)
	}
	b, err := json.Marshal(wire.ReplyMsg{AlarmID: alarmID, Action: string(action), Note: note})
	if err != nil {
		return fmt.Errorf("reply: encode: %w", err)
	}
	if err := p.cfg.Dial.Publish(ctx, p.client, p.cfg.Topics.Reply(p.cfg.Staff), 1, false, b); err != nil {
		return fmt.Errorf("phone %s: %s %s: %w", p.cfg.Staff, action, alarmID, err)
	}
	p.log.Info("replied", "alarm", alarmID, "action", action)
	return nil
}
