package uplink

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/gateway/ratelog"
)

// Sender tuning.
const (
	// window is how many records go out before the sender waits for
	// their acknowledgements (paho writes them in order on one
	// connection).
	window = 256
	// ackWait bounds the wait for one batch's acknowledgements; past it
	// the batch is sent again.
	ackWait = 30 * time.Second
	// retryWait is the pause after a failed batch.
	retryWait = time.Second
	// connectWait is the pause after a failed connect.
	connectWait = 2 * time.Second
)

// sender owns the MQTT connection: it publishes the outbox in order and
// hands the county's requests to the downlink.
type sender struct {
	u      *Uplink
	client paho.Client
	down   *downlink

	mu    sync.Mutex
	up    bool
	epoch uint64           // changes at every connect and every loss
	upCh  chan struct{}    // signalled at every connect (cap 1)
	lost  chan struct{}    // signalled at every loss (cap 1)
	first map[uint64]int64 // when each record was first tried (its SentMS)
	log   *ratelog.Limiter // a county that refuses the login is retried every second
}

func newSender(u *Uplink) *sender {
	s := &sender{u: u, upCh: make(chan struct{}, 1), lost: make(chan struct{}, 1), first: map[uint64]int64{},
		log: ratelog.New(u.cfg.Logger, 30*time.Second, nil)}
	s.down = newDownlink(u, s.publishReply)
	return s
}

func (s *sender) state() (bool, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up, s.epoch
}

func (s *sender) setUp(up bool) {
	s.mu.Lock()
	s.up = up
	s.epoch++
	s.mu.Unlock()
	if up {
		s.u.m.connected.Set(1)
		s.u.signal(s.upCh)
	} else {
		s.u.m.connected.Set(0)
	}
}

func (s *sender) status(online bool) []byte {
	b, _ := json.Marshal(countywire.Status{Online: online, AtMS: s.u.cfg.Now().UnixMilli()})
	return b
}

func (s *sender) run(ctx context.Context) {
	cfg, t := s.u.cfg, s.u.topics
	// A clean session: the outbox, not the broker, keeps what is unsent,
	// and a request the county sent while the link was down is not acted
	// on long after the county gave up waiting for its reply.
	opts := paho.NewClientOptions().AddBroker(cfg.URL).SetClientID(cfg.ClientID).
		SetUsername(cfg.Username).SetPassword(cfg.Password).
		SetCleanSession(true).
		SetOrderMatters(false). // the request handler only enqueues
		// paho's own reconnect resends its in-flight copies (racing its
		// writer, and needlessly: the outbox resends). A fresh Connect of
		// a clean session starts from an empty store.
		// Nor paho's connect retry, which retries in silence: each failed
		// attempt (a refused login, a broker certificate the configured CA
		// did not issue) comes back to connect, which logs why and tries
		// again.
		SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(10*time.Second).SetWriteTimeout(10*time.Second).
		SetKeepAlive(15*time.Second).SetPingTimeout(5*time.Second).
		SetBinaryWill(t.Status(), s.status(false), 1, true).
		SetOnConnectHandler(func(c paho.Client) {
			s.setUp(true)
			cfg.Logger.Info("uplink connected", "url", cfg.URL, "county", cfg.County)
			// Subscribed before "online" goes out (the broker takes the two
			// in order), so a county that sees the site online may send
			// requests at once. Neither is waited for: a handler must not block.
			if cfg.Requests != nil {
				c.Subscribe(t.Down(), 1, func(_ paho.Client, m paho.Message) { s.down.take(m.Payload()) })
			}
			c.Publish(t.Status(), 1, true, s.status(true))
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			s.setUp(false)
			s.u.signal(s.lost)
			cfg.Logger.Warn("uplink connection lost; the outbox keeps what is unsent", "url", cfg.URL, "err", err)
		})
	if cfg.TLS != nil {
		opts.SetTLSConfig(cfg.TLS)
	}
	s.client = paho.NewClient(opts)

	var wg sync.WaitGroup
	wg.Go(func() { s.connect(ctx) })
	wg.Go(func() { s.down.run(ctx) })
	s.drain(ctx)
	if up, _ := s.state(); up {
		s.client.Publish(t.Status(), 1, true, s.status(false)).WaitTimeout(time.Second)
	}
	s.client.Disconnect(500) // also ends a Connect still retrying
	wg.Wait()
	s.setUp(false)
}

// connect connects, and connects again after every loss, until ctx is
// done.
func (s *sender) connect(ctx context.Context) {
	for ctx.Err() == nil {
		tok := s.client.Connect() // one attempt, over within the connect timeout
		select {
		case <-tok.Done():
		case <-ctx.Done():
			return
		}
		if err := tok.Error(); err != nil {
			// Keyed by the error too: a new kind of failure (the county's
			// broker now asking for a certificate, say) is logged at once
			// rather than held back behind the last one.
			s.log.Warn("connect "+err.Error(), "uplink connect failed; retrying", "url", s.u.cfg.URL, "err", err)
			s.wait(ctx, nil, time.After(connectWait))
			continue
		}
		s.wait(ctx, s.lost, nil)
		s.wait(ctx, nil, time.After(retryWait))
	}
}

// drain publishes the outbox, oldest first, until ctx is done.
func (s *sender) drain(ctx context.Context) {
	synced := false
	for ctx.Err() == nil {
		up, epoch := s.state()
		if !up {
			s.wait(ctx, s.upCh, nil)
			continue
		}
		batch, err := s.u.box.next(window)
		if err != nil {
			s.u.cfg.Logger.Error("uplink: outbox", "err", err)
			s.wait(ctx, nil, time.After(retryWait))
			continue
		}
		if len(batch) == 0 {
			if !synced {
				if synced = s.resync(ctx, epoch); !synced {
					s.wait(ctx, nil, time.After(retryWait))
				}
				continue
			}
			s.wait(ctx, s.u.wrote, nil)
			continue
		}
		if !s.send(ctx, batch, epoch) {
			s.u.m.failed.Inc()
			s.wait(ctx, nil, time.After(retryWait))
			continue
		}
		if err := s.u.box.sent(batch[len(batch)-1].Seq); err != nil {
			s.u.cfg.Logger.Error("uplink: outbox", "err", err)
			continue // they go again: duplicates the county drops
		}
		s.u.m.sent.Add(float64(len(batch)))
		s.mu.Lock()
		for _, r := range batch {
			delete(s.first, r.Seq)
		}
		s.mu.Unlock()
	}
}

func (s *sender) wait(ctx context.Context, c <-chan struct{}, t <-chan time.Time) {
	select {
	case <-ctx.Done():
	case <-c:
	case <-t:
	}
}

// send publishes a batch and reports whether the broker acknowledged all
// of it on a connection that stayed up.
func (s *sender) send(ctx context.Context, batch []stored, epoch uint64) bool {
	t := s.u.topics
	now := s.u.cfg.Now().UnixMilli()
	var toks []paho.Token
	for _, r := range batch {
		s.mu.Lock()
		first, ok := s.first[r.Seq]
		if !ok {
			first, s.first[r.Seq] = now, now
		}
		s.mu.Unlock()
		rec := r.Rec
		rec.SentMS = first
		data, err := json.Marshal(rec)
		if err != nil {
			data = r.Data
		}
		toks = append(toks, s.client.Publish(t.Events(), 1, false, data))
		switch {
		case rec.Kind == countywire.KindAlarm && rec.Alarm != nil:
			id, closed, err := rec.Alarm.AlarmRef()
			if err != nil {
				continue
			}
			var retained []byte
			if !closed {
				retained = data
			}
			toks = append(toks, s.client.Publish(t.Alarm(id), 1, true, retained))
		case rec.Kind == countywire.KindSummary:
			toks = append(toks, s.client.Publish(t.Summary(), 1, true, data))
		}
	}
	return s.acked(ctx, toks, epoch)
}

// acked waits for tokens; false on an error, a timeout or a connection
// that went down meanwhile (paho may complete a token across a reconnect
// without the message having arrived).
func (s *sender) acked(ctx context.Context, toks []paho.Token, epoch uint64) bool {
	deadline := time.After(ackWait)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for _, tok := range toks {
	wait:
		for {
			select {
			case <-tok.Done():
				break wait
			case <-tick.C:
				if _, e := s.state(); e != epoch {
					return false
				}
			case <-deadline:
				return false
			case <-ctx.Done():
				return false
			}
		}
		if tok.Error() != nil {
			return false
		}
	}
	up, e := s.state()
	return up && e == epoch
}

// resync publishes the retained state of every open alarm the outbox
// knows, once per start after the backlog is sent, so that the county
// ends up with the current state even if no record was pending.
func (s *sender) resync(ctx context.Context, epoch uint64) bool {
	known, err := s.u.box.alarms()
	if err != nil {
		s.u.cfg.Logger.Error("uplink: resync", "err", err)
		return false
	}
	var toks []paho.Token
	for id, l := range known {
		if !l.Closed {
			toks = append(toks, s.client.Publish(s.u.topics.Alarm(id), 1, true, l.Data))
		}
	}
	return s.acked(ctx, toks, epoch)
}

// publishReply answers a request on reply (best effort: the county waits
// a bounded time and may ask again with the same id).
func (s *sender) publishReply(r countywire.Reply) {
	b, _ := json.Marshal(r)
	if !s.client.Publish(s.u.topics.Reply(), 1, false, b).WaitTimeout(10 * time.Second) {
		s.u.cfg.Logger.Warn("uplink: reply not acknowledged", "request", r.ID)
	}
}
