package county

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/countywire"
)

// tracker is what the sites sent and the subscriber received, for the
// result. Sites and the subscriber's handler call it concurrently.
type tracker struct {
	mu sync.Mutex

	sentAt   map[string]time.Time // record id → just before its last publish
	ackedIDs map[string]bool      // acknowledged by the broker
	got      map[string]bool      // received by the subscriber
	lastSeq  map[string]uint64    // site → highest seq received
	kinds    map[string]int       // acknowledged records by kind

	failed, dups, outOfOrder, undecodable, other int
	lat, burstLat                                []time.Duration

	// The burst: its raised records, and when the last was acknowledged.
	burstIDs      map[string]bool
	burstAcked    int
	burstWant     int
	burstEnd      time.Time
	burstBacklog  int
	burstDrained  time.Time
	burstReceived int
}

func newTracker(burst int) *tracker {
	return &tracker{
		sentAt: map[string]time.Time{}, ackedIDs: map[string]bool{}, got: map[string]bool{},
		lastSeq: map[string]uint64{}, kinds: map[string]int{}, burstIDs: map[string]bool{}, burstWant: burst,
	}
}

func (tr *tracker) sending(rec countywire.Record, burst bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.sentAt[rec.ID] = time.Now()
	if burst {
		tr.burstIDs[rec.ID] = true
	}
}

func (tr *tracker) acked(rec countywire.Record, burst bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.ackedIDs[rec.ID] {
		return
	}
	tr.ackedIDs[rec.ID] = true
	tr.kinds[rec.Kind]++
	if burst {
		tr.burstAcked++
		if tr.burstAcked == tr.burstWant {
			// The backlog after the burst: acknowledged by the broker, not
			// yet at the county.
			tr.burstEnd = time.Now()
			for id := range tr.ackedIDs {
				if !tr.got[id] {
					tr.burstBacklog++
				}
			}
		}
	}
}

func (tr *tracker) publishFailed() {
	tr.mu.Lock()
	tr.failed++
	tr.mu.Unlock()
}

// receive handles one message of a site's events.
func (tr *tracker) receive(now time.Time, payload []byte) {
	var rec countywire.Record
	if err := json.Unmarshal(payload, &rec); err != nil || rec.ID == "" {
		tr.mu.Lock()
		tr.undecodable++
		tr.mu.Unlock()
		return
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.got[rec.ID] {
		tr.dups++
		return
	}
	tr.got[rec.ID] = true
	if rec.Seq < tr.lastSeq[rec.Site] {
		tr.outOfOrder++
	} else {
		tr.lastSeq[rec.Site] = rec.Seq
	}
	if at, ok := tr.sentAt[rec.ID]; ok {
		d := now.Sub(at)
		tr.lat = append(tr.lat, d)
		if tr.burstIDs[rec.ID] {
			tr.burstLat = append(tr.burstLat, d)
		}
	}
	if tr.burstIDs[rec.ID] {
		tr.burstReceived++
		if tr.burstReceived == tr.burstWant {
			tr.burstDrained = now
		}
	}
}

// missing is how many acknowledged records the subscriber has not received.
func (tr *tracker) missing() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for id := range tr.ackedIDs {
		if !tr.got[id] {
			n++
		}
	}
	return n
}

// subscriber is the measuring county-side client: a clean session
// subscribed to every site's events (and, as a county view is, to the
// retained alarms, summaries and statuses, which it counts).
type subscriber struct {
	dial   mqttconn.Dial
	county string
	tr     *tracker
	client paho.Client
}

func (s *subscriber) connect(ctx context.Context) error {
	// In order: the handlers only count, under a mutex, and must see the
	// messages in the order they came to judge order.
	o := s.dial.Options("gridsim-county-measure-" + s.county).SetCleanSession(true).SetOrderMatters(true)
	o.SetDefaultPublishHandler(func(paho.Client, paho.Message) {})
	s.client = paho.NewClient(o)
	if err := s.dial.Connect(ctx, s.client); err != nil {
		return fmt.Errorf("measuring subscriber: %w", err)
	}
	for _, f := range countywire.CountyFilters(s.county) {
		h := func(_ paho.Client, m paho.Message) {
			s.tr.mu.Lock()
			s.tr.other++
			s.tr.mu.Unlock()
		}
		if strings.HasSuffix(f, "/events") {
			h = func(_ paho.Client, m paho.Message) { s.tr.receive(time.Now(), m.Payload()) }
		}
		if err := s.dial.Subscribe(ctx, s.client, f, 1, h); err != nil {
			return fmt.Errorf("measuring subscriber: %w", err)
		}
	}
	return nil
}

func (s *subscriber) close() {
	if s.client != nil {
		s.client.Disconnect(uint(mqttconn.DisconnectQuiesce / time.Millisecond))
	}
}
