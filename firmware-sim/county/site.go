package county

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/countywire"
)

// job is what the scheduler hands a site.
type job struct {
	press    bool // raise a new alarm
	burst    bool // ... as part of the burst
	presence bool // a device goes offline or comes back
}

// lifecycle is an alarm's steps after raised, in order.
var lifecycle = []string{
	countywire.StepPaged, countywire.StepDelivered, countywire.StepAck,
	countywire.StepArrive, countywire.StepResolve,
}

// openAlarm is an alarm a site is walking through its lifecycle.
type openAlarm struct {
	id     string
	step   int // index of the next step in lifecycle
	due    time.Time
	grid   string
	dev    string
	raised int64
	tl     []entry
}

// alarmState is the alarm as a gateway's GET /api/v1/alarms/{id} returns
// it (the fields a county view reads), which countywire.Alarm.State
// carries. The simulator is a device and may not import the rules'
// types, so it writes the JSON shape itself.
type alarmState struct {
	ID       string  `json:"id"`
	Rule     string  `json:"rule"`
	Severity string  `json:"severity"`
	Title    string  `json:"title"`
	Device   string  `json:"device"`
	Grid     string  `json:"grid"`
	State    string  `json:"state"`
	Count    int     `json:"count"`
	RaisedMS int64   `json:"raised_ms"`
	EventMS  int64   `json:"event_ms"`
	Step     int     `json:"step"`
	ClosedMS int64   `json:"closed_ms,omitempty"`
	Timeline []entry `json:"timeline"`
}

type entry struct {
	At   int64  `json:"at"`
	Kind string `json:"kind"`
	By   string `json:"by,omitempty"`
	Step int    `json:"step,omitempty"`
}

// after returns the alarm's state and its new timeline entry after step.
func (a *openAlarm) after(step string, now int64) alarmState {
	st := alarmState{ID: a.id, Rule: "panic", Severity: "red", Title: a.dev + " 一键报警", Device: a.dev, Grid: a.grid,
		State: "open", Count: 1, RaisedMS: a.raised, EventMS: a.raised}
	switch step {
	case countywire.StepRaised:
		a.tl = append(a.tl, entry{At: now, Kind: "raised"})
	case countywire.StepPaged:
		a.tl = append(a.tl, entry{At: now, Kind: "notified", Step: 0})
	case countywire.StepAck, countywire.StepArrive, countywire.StepResolve:
		a.tl = append(a.tl, entry{At: now, Kind: step, By: "m1"})
	}
	for _, e := range a.tl {
		switch e.Kind {
		case "ack":
			st.State = "acknowledged"
		case "arrive":
			st.State = "on_scene"
		case "resolve":
			st.State, st.ClosedMS = "resolved", e.At
		}
	}
	st.Timeline = slices.Clone(a.tl)
	return st
}

// site is one simulated gateway uplink: one MQTT connection, records in
// Seq order, one at a time.
type site struct {
	id     string
	cfg    Config
	dial   mqttconn.Dial
	topics countywire.Topics
	tr     *tracker
	rng    *rand.Rand
	work   chan job

	client  paho.Client
	seq     uint64
	nAlarms int
	open    []*openAlarm
	offline map[string]bool // devices currently offline
}

func newSite(cfg Config, i int, tr *tracker) *site {
	id := fmt.Sprintf("s%03d", i+1)
	d := cfg.Dial
	d.Broker = cfg.Brokers[i%len(cfg.Brokers)]
	return &site{
		id: id, cfg: cfg, dial: d.As(id), tr: tr,
		topics:  countywire.Topics{County: cfg.County, Site: id},
		rng:     rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(i))),
		work:    make(chan job, 16),
		offline: map[string]bool{},
	}
}

// connect opens the site's persistent session, as an uplink does: a
// retained offline will, the down topic subscribed at QoS 1, then the
// retained online status.
func (s *site) connect(ctx context.Context) error {
	o := s.dial.Options("gridsim-county-" + s.cfg.County + "-" + s.id).SetCleanSession(false)
	will, _ := json.Marshal(countywire.Status{Online: false})
	o.SetBinaryWill(s.topics.Status(), will, 1, true)
	o.SetDefaultPublishHandler(func(paho.Client, paho.Message) {})
	s.client = paho.NewClient(o)
	if err := s.dial.Connect(ctx, s.client); err != nil {
		return fmt.Errorf("site %s: %w", s.id, err)
	}
	if err := s.dial.Subscribe(ctx, s.client, s.topics.Down(), 1, func(paho.Client, paho.Message) {}); err != nil {
		return fmt.Errorf("site %s: %w", s.id, err)
	}
	st, _ := json.Marshal(countywire.Status{Online: true, AtMS: time.Now().UnixMilli()})
	return s.publish(ctx, s.topics.Status(), true, st)
}

// run publishes the site's records until ctx ends.
func (s *site) run(ctx context.Context) {
	nextSummary := time.Now().Add(time.Duration(s.rng.Int64N(int64(s.cfg.SummaryEvery))))
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		next := nextSummary
		for _, a := range s.open {
			if a.due.Before(next) {
				next = a.due
			}
		}
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return
		case j := <-s.work:
			switch {
			case j.press:
				s.raise(ctx, j.burst)
			case j.presence:
				s.presence(ctx)
			}
		case now := <-timer.C:
			if !now.Before(nextSummary) {
				s.summary(ctx)
				nextSummary = nextSummary.Add(s.cfg.SummaryEvery)
			}
			s.stepDue(ctx, now)
		}
	}
}

func (s *site) raise(ctx context.Context, burst bool) {
	s.nAlarms++
	cell := s.rng.IntN(8) + 1
	a := &openAlarm{
		id:     "a-" + strconv.Itoa(s.nAlarms),
		due:    time.Now().Add(s.cfg.StepEvery),
		grid:   fmt.Sprintf("%s-g5-%02d", s.id, cell),
		dev:    fmt.Sprintf("lb-%02d-%d", cell, s.nAlarms),
		raised: time.Now().UnixMilli(),
	}
	s.open = append(s.open, a)
	s.alarmRecord(ctx, a, countywire.StepRaised, burst)
}

func (s *site) stepDue(ctx context.Context, now time.Time) {
	kept := s.open[:0]
	for _, a := range s.open {
		if a.due.After(now) {
			kept = append(kept, a)
			continue
		}
		step := lifecycle[a.step]
		a.step++
		s.alarmRecord(ctx, a, step, false)
		if a.step < len(lifecycle) {
			a.due = now.Add(s.cfg.StepEvery)
			kept = append(kept, a)
		}
	}
	s.open = kept
}

// alarmRecord sends one lifecycle step: the record on events, then the
// retained alarm state (emptied once resolved).
func (s *site) alarmRecord(ctx context.Context, a *openAlarm, step string, burst bool) {
	rec := s.record(countywire.KindAlarm)
	state, _ := json.Marshal(a.after(step, rec.AtMS))
	rec.Alarm = &countywire.Alarm{
		Step: step, State: state,
		GridPath:   []string{a.grid, s.id + "-g4", s.id + "-g3"},
		DeviceName: a.dev,
	}
	body, ok := s.send(ctx, rec, burst)
	if !ok {
		return
	}
	if step == countywire.StepResolve {
		body = nil
	}
	_ = s.publish(ctx, s.topics.Alarm(a.id), true, body)
}

func (s *site) presence(ctx context.Context) {
	dev := fmt.Sprintf("cam-%s-%03d", s.id, s.rng.IntN(60))
	s.offline[dev] = !s.offline[dev]
	rec := s.record(countywire.KindPresence)
	rec.Presence = &countywire.Presence{Device: dev, Kind: "camera", Grid: s.id + "-g5-01", Online: !s.offline[dev]}
	s.send(ctx, rec, false)
}

func (s *site) summary(ctx context.Context) {
	off := 0
	for _, v := range s.offline {
		if v {
			off++
		}
	}
	rec := s.record(countywire.KindSummary)
	rec.Summary = &countywire.Summary{Ready: true, OpenAlarms: len(s.open), DevicesOnline: 60 - off, DevicesOffline: off, Version: "gridsim"}
	if body, ok := s.send(ctx, rec, false); ok {
		_ = s.publish(ctx, s.topics.Summary(), true, body)
	}
}

func (s *site) record(kind string) countywire.Record {
	s.seq++
	return countywire.Record{
		ID: countywire.MakeID(s.id, s.seq), County: s.cfg.County, Site: s.id,
		Seq: s.seq, Kind: kind, AtMS: time.Now().UnixMilli(),
	}
}

// send publishes a record on events, again with the same id until the
// broker acknowledges it or ctx ends (at least once, as an uplink does).
func (s *site) send(ctx context.Context, rec countywire.Record, burst bool) ([]byte, bool) {
	for {
		rec.SentMS = time.Now().UnixMilli()
		body, err := json.Marshal(rec)
		if err != nil {
			panic(err) // a Record always marshals
		}
		s.tr.sending(rec, burst)
		err = s.dial.Publish(ctx, s.client, s.topics.Events(), 1, false, body)
		if err == nil {
			s.tr.acked(rec, burst)
			return body, true
		}
		s.tr.publishFailed()
		s.cfg.Logger.Debug("county sim: publish failed, again", "site", s.id, "id", rec.ID, "err", err)
		if ctx.Err() != nil {
			return nil, false
		}
		select {
		case <-ctx.Done():
			return nil, false
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (s *site) publish(ctx context.Context, topic string, retained bool, body []byte) error {
	err := s.dial.Publish(ctx, s.client, topic, 1, retained, body)
	if err != nil {
		s.tr.publishFailed()
	}
	return err
}

// close leaves without a will (a clean shutdown).
func (s *site) close() {
	if s.client != nil {
		s.client.Disconnect(uint(mqttconn.DisconnectQuiesce / time.Millisecond))
	}
}
