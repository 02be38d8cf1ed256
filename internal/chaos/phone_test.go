package chaos

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/url"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// receipt is one notification as a phone's MQTT client got it.
type receipt struct {
	Staff    string
	AlarmID  string `json:"alarm_id"`
	Rule     string `json:"rule"`
	Device   string `json:"device"`
	Step     int    `json:"step"`
	RaisedMS int64  `json:"raised_ms"`
	EventMS  int64  `json:"event_ms"`
	Kind     string `json:"kind"`
	At       time.Time
}

// phone is a staff member's phone app: a persistent MQTT session (clean
// session off, client id and user: the staff id) subscribed at QoS 1 to
// its notify topic, recording every notification it receives. paho
// acknowledges each one (PUBACK) once the handler has recorded it.
type phone struct {
	staff string
	url   string

	mu     sync.Mutex
	got    []receipt
	client paho.Client
	conn   net.Conn // the connection under client, to drop it abruptly
	subs   int      // subscriptions the broker granted, over all sessions
}

func newPhone(url, staff string) *phone { return &phone{staff: staff, url: url} }

func (p *phone) topic() string { return "gridwatch/v1/staff/" + p.staff + "/notify" }

func (p *phone) handle(_ paho.Client, m paho.Message) {
	var r receipt
	if json.Unmarshal(m.Payload(), &r) != nil {
		return
	}
	r.Staff, r.At = p.staff, time.Now()
	p.mu.Lock()
	p.got = append(p.got, r)
	p.mu.Unlock()
}

// options are the app's MQTT options; reconnect says whether paho keeps
// reconnecting by itself (a phone that stays on) or not (one session of a
// flapping phone).
func (p *phone) options(reconnect bool) *paho.ClientOptions {
	o := paho.NewClientOptions().AddBroker(p.url).SetClientID(p.staff).
		SetUsername(p.staff).SetPassword(password(p.staff)).
		SetCleanSession(false).SetOrderMatters(true).
		SetKeepAlive(10 * time.Second).SetConnectTimeout(5 * time.Second).
		SetAutoReconnect(reconnect).SetConnectRetry(reconnect).
		SetConnectRetryInterval(250 * time.Millisecond).SetMaxReconnectInterval(time.Second).
		SetDefaultPublishHandler(p.handle)
	o.SetOnConnectHandler(func(c paho.Client) {
		// The app subscribes on every connect, as apps do; a session the
		// broker kept delivers what it queued either way.
		if tok := c.Subscribe(p.topic(), 1, p.handle); tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			p.mu.Lock()
			p.subs++
			p.mu.Unlock()
		}
	})
	o.SetCustomOpenConnectionFn(func(u *url.URL, _ paho.ClientOptions) (net.Conn, error) {
		c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		if err == nil {
			p.mu.Lock()
			p.conn = c
			p.mu.Unlock()
		}
		return c, err
	})
	return o
}

// stayOn connects and keeps the phone connected (reconnecting by itself
// after the broker goes away) until off or goAway.
func (p *phone) stayOn() {
	c := paho.NewClient(p.options(true))
	c.Connect() // retries in the background until it is up
	p.mu.Lock()
	p.client = c
	p.mu.Unlock()
}

// connected reports whether the phone is connected now and has been
// subscribed at least once.
func (p *phone) connected() bool {
	p.mu.Lock()
	c, subs := p.client, p.subs
	p.mu.Unlock()
	return c != nil && c.IsConnectionOpen() && subs > 0
}

// off disconnects cleanly (DISCONNECT); the broker keeps the session.
func (p *phone) off() {
	p.mu.Lock()
	c := p.client
	p.client = nil
	p.mu.Unlock()
	if c != nil {
		c.Disconnect(0)
	}
}

// goAway drops the connection without a word, as a phone that loses its
// network does, and stops reconnecting.
func (p *phone) goAway() {
	p.mu.Lock()
	c, conn := p.client, p.conn
	p.client = nil
	p.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
	if c != nil {
		c.Disconnect(0)
	}
}

// flap reconnects the phone over and over until ctx ends: each session
// lasts 150–600 ms and ends, by turns, cleanly or by a dropped connection;
// then it stays on. It returns how many sessions it had.
func (p *phone) flap(ctx context.Context) int {
	n := 0
	for ctx.Err() == nil {
		c := paho.NewClient(p.options(false))
		p.mu.Lock()
		p.client = c
		p.mu.Unlock()
		if tok := c.Connect(); tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			n++
		}
		sleepCtx(ctx, time.Duration(150+rand.IntN(450))*time.Millisecond)
		if n%2 == 0 {
			p.goAway()
		} else {
			p.off()
		}
		sleepCtx(ctx, time.Duration(rand.IntN(150))*time.Millisecond)
	}
	p.stayOn()
	return n
}

// receipts returns a copy of what the phone got so far.
func (p *phone) receipts() []receipt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]receipt(nil), p.got...)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// phones is every staff member's phone of a site.
type phones map[string]*phone

// startPhones connects a phone for every staff member.
func startPhones(s *site) phones {
	ps := phones{}
	for _, id := range staffIDs() {
		ps[id] = newPhone(s.mqttURL, id)
		ps[id].stayOn()
	}
	s.t.Cleanup(func() {
		for _, p := range ps {
			p.off()
		}
	})
	return ps
}

// waitConnected waits (bounded) until every phone is connected.
func (ps phones) waitConnected(within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		all := true
		for _, p := range ps {
			if !p.connected() {
				all = false
			}
		}
		if all {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}
