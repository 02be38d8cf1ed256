package chaos

import (
	"context"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// pressRate is the load of every fault: presses per second, all boxes
// together, each press a box's first and only one.
const pressRate = 50

// pressGiveUp is how long after the load stops a box keeps resending a
// press nobody acknowledged, as a real box does until it gets its PUBACK.
// Generous: a gateway restarting on a busy machine takes seconds.
const pressGiveUp = 2 * time.Minute

// press is one button press of one box: a unique event (box id, seq 1).
type press struct {
	box   string
	sent  time.Time // the first attempt
	acked time.Time // the PUBACK; zero if none came before giving up
	tries int
}

// load presses boxes of a site at a steady rate, one new box per press,
// over QoS 1, each box resending its press (same bytes, so the gateway
// may drop it as a resend) until it is acknowledged.
type load struct {
	s      *site
	rate   float64
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	presses  []*press
	inFlight sync.WaitGroup
	giveUp   time.Time // zero while the load runs
	dry      bool      // ran out of boxes
}

// startLoad starts pressing; stop ends it.
func startLoad(s *site, rate float64) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{s: s, rate: rate, cancel: cancel, done: make(chan struct{})}
	go l.run(ctx)
	return l
}

func (l *load) run(ctx context.Context) {
	defer close(l.done)
	every := time.Duration(float64(time.Second) / l.rate)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		box, ok := l.s.take()
		if !ok {
			l.mu.Lock()
			l.dry = true
			l.mu.Unlock()
			return
		}
		p := &press{box: box, sent: time.Now()}
		l.mu.Lock()
		l.presses = append(l.presses, p)
		l.mu.Unlock()
		l.inFlight.Add(1)
		go func() {
			defer l.inFlight.Done()
			l.deliver(p)
		}()
	}
}

// stop ends the pressing and waits until every press was acknowledged or
// its box gave up, and returns the presses.
func (l *load) stop() []*press {
	l.cancel()
	<-l.done
	l.mu.Lock()
	l.giveUp = time.Now().Add(pressGiveUp)
	if l.dry {
		l.s.t.Logf("chaos: the load ran out of boxes after %d presses; give the site more", len(l.presses))
	}
	l.mu.Unlock()
	l.inFlight.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*press(nil), l.presses...)
}

// gaveUp reports whether a box should stop resending.
func (l *load) gaveUp() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.giveUp.IsZero() && time.Now().After(l.giveUp)
}

// deliver sends one press until a PUBACK comes: each try is a fresh
// connection (client id and user: the box id), as a box whose link
// dropped reconnects.
func (l *load) deliver(p *press) {
	topic := "gridwatch/v1/dev/" + p.box + "/evt"
	payload := fmt.Sprintf(`{"type":"button.pressed","seq":1,"ts":%d}`, p.sent.UnixMilli())
	for !l.gaveUp() {
		p.tries++
		if acked, ok := publishOnce(l.s.mqttURL, p.box, topic, payload); ok {
			p.acked = acked
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// publishOnce connects as user, publishes one QoS 1 message and reports
// when the PUBACK came.
func publishOnce(url, user, topic, payload string) (time.Time, bool) {
	opts := paho.NewClientOptions().AddBroker(url).SetClientID(user).
		SetUsername(user).SetPassword(password(user)).
		SetCleanSession(true).SetAutoReconnect(false).
		SetConnectTimeout(5 * time.Second).SetWriteTimeout(5 * time.Second)
	c := paho.NewClient(opts)
	defer c.Disconnect(0)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return time.Time{}, false
	}
	tok := c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		return time.Time{}, false
	}
	return time.Now(), true
}
