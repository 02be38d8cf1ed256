// Package uplink forwards a community gateway's alarms, device presence
// and a periodic summary to the county's MQTT cluster, speaking
// gateway/countywire, and takes the county's requests back down.
//
// Nothing here sits on the alarm path: the escalation desk's board hook
// (Alarm) and the device tracker's hook (Presence) only append to a
// queue in memory. A writer goroutine appends that queue to an outbox on
// disk (a bbolt file), where each record gets its Seq and ID; a sender
// goroutine publishes the outbox in order with QoS 1 and deletes a record
// only once the broker acknowledged it on a connection that stayed up.
// After a WAN outage of any length, a restart or a kill -9 it resumes
// from the oldest unacknowledged record: the county may see a record
// twice (same ID), never out of order, never missing (summaries aside,
// which are shed first when the outbox is full).
package uplink

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Config configures an Uplink.
type Config struct {
	// URL is the county broker: tcp://, ssl://, mqtts://, ws://, wss://.
	URL      string
	County   string
	Site     string
	ClientID string
	Username string
	Password string
	// TLS, if set, is used for ssl/mqtts/wss URLs.
	TLS *tls.Config
	// Path is the outbox file.
	Path string
	// MaxBytes bounds the unsent records; over it the oldest summaries
	// (then presence changes) are shed. Alarm records never are.
	MaxBytes int64
	// SummaryEvery is how often a Summary record goes up.
	SummaryEvery time.Duration
	// Summary describes the site now; the uplink adds its own backlog and
	// lag. Nil: no summaries.
	Summary func() countywire.Summary
	// Describe gives an alarm's grid path (its cell first), the cells'
	// names and the device's name, for the county's filters.
	Describe func(alarm.Alarm) (path, names []string, device string)
	// Requests acts on the county's requests; nil: no downlink.
	Requests Requests
	// RequestMaxAge is how old (by its at_ms) a county request may be
	// when it arrives; older ones are refused, and so are requests
	// without at_ms. 0: DefaultRequestMaxAge, and a request without at_ms
	// is not checked (the contract's behaviour before the bound could be
	// set).
	RequestMaxAge time.Duration
	// Version is the gateway's version, told in every summary; empty:
	// read from the binary's build information.
	Version string
	Now     func() time.Time
	Logger  *slog.Logger
	// Registerer takes the uplink's metrics; nil: none.
	Registerer prometheus.Registerer
}

// Uplink is one gateway's link to its county.
type Uplink struct {
	cfg    Config
	topics countywire.Topics
	box    *outbox
	m      *metrics

	mu      sync.Mutex
	pending []queued
	// last is every open alarm as last queued, to derive the steps of its
	// next change, and every closed one until its closing record is in
	// the outbox (written by flush). From then on the outbox's alarms
	// bucket holds the same (the alarm's latest record, kept closedKeep),
	// so the entry is never needed again and is dropped: a late change to
	// the closed alarm (a page delivered after the resolve, a clip) is
	// queued as a late change (queued.late), whose steps the writer derives from that
	// record. So last holds the open alarms, plus the closed ones not yet
	// written, and does not grow with every alarm the site ever had.
	last map[string]seen
	// unsure are open alarms of the outbox whose state could not be
	// read back at start; summaries list them until they are queued
	// again (see openSet).
	unsure map[string]bool
	wrote  chan struct{} // the writer appended to the outbox (cap 1)
	queue  chan struct{} // something was queued in memory (cap 1)
	// soon asks the summariser for a summary now (cap 1): SummaryNow.
	soon chan struct{}
}

// queued is a record waiting for the writer.
type queued struct {
	rec countywire.Record
	// closes is the id of the alarm rec tells closed ("" for any other
	// record): once written, its entry in last may go (Uplink.prune).
	closes string
	// late, when set, is a change to a closed alarm that last no longer
	// holds: rec is its record without a step, and the writer appends
	// one copy of it per step, derived from the outbox's latest record
	// of the alarm in the same transaction (outbox.lateRecords).
	late []string // the step of each of the alarm's timeline entries
}

// seen is an alarm as the county was last told of it.
type seen struct {
	entries int    // timeline entries told (never fewer: see Steps)
	state   []byte // the JSON state
	closed  bool
}

// Open checks cfg and opens the outbox. It starts nothing; Run does.
func Open(cfg Config) (*Uplink, error) {
	if cfg.URL == "" || cfg.County == "" || cfg.Site == "" || cfg.ClientID == "" || cfg.Path == "" {
		return nil, errors.New("uplink: URL, County, Site, ClientID and Path are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RequestMaxAge < 0 {
		cfg.RequestMaxAge = 0
	}
	if cfg.Version == "" {
		cfg.Version = BuildVersion()
	}
	if cfg.SummaryEvery <= 0 {
		cfg.SummaryEvery = 30 * time.Second
	}
	if cfg.Describe == nil {
		cfg.Describe = func(alarm.Alarm) ([]string, []string, string) { return nil, nil, "" }
	}
	box, err := openOutbox(cfg.Path, cfg.Site, cfg.MaxBytes, cfg.Now())
	if err != nil {
		return nil, err
	}
	u := &Uplink{cfg: cfg, topics: countywire.Topics{County: cfg.County, Site: cfg.Site}, box: box,
		last: map[string]seen{}, unsure: map[string]bool{}, wrote: make(chan struct{}, 1), queue: make(chan struct{}, 1),
		soon: make(chan struct{}, 1)}
	known, err := box.alarms()
	if err != nil {
		_ = box.close()
		return nil, err
	}
	for id, l := range known {
		if l.Closed {
			continue // the outbox keeps it: see last
		}
		var a alarm.Alarm
		if l.Rec.Alarm == nil || json.Unmarshal(l.Rec.Alarm.State, &a) != nil {
			// Listed as open in summaries until it is queued again: the
			// county may hold it from before.
			u.unsure[id] = true
			continue // seen as new: its steps go up again
		}
		u.last[id] = seen{entries: len(a.Timeline), state: l.Rec.Alarm.State}
	}
	if u.m, err = newMetrics(cfg.Registerer, box, cfg.Now); err != nil {
		_ = box.close()
		return nil, err
	}
	return u, nil
}

// Close closes the outbox. Call it after Run returned.
func (u *Uplink) Close() error { return u.box.close() }

// Topics are this site's county topics.
func (u *Uplink) Topics() countywire.Topics { return u.topics }

// Alarm queues the steps of an alarm's change (the desk's board hook). It
// never blocks on the disk or the network.
func (u *Uplink) Alarm(a alarm.Alarm) { u.AlarmJSON(a, nil) }

// AlarmJSON is Alarm given state, a's JSON exactly as json.Marshal(a)
// gives it, when the caller has encoded it already (the alarm board, for
// its retained message): the records share it and never modify it, nor
// may the caller. Nil state: encoded here.
func (u *Uplink) AlarmJSON(a alarm.Alarm, state []byte) {
	if state == nil {
		var err error
		if state, err = json.Marshal(a); err != nil {
			u.cfg.Logger.Error("uplink: encode alarm", "alarm", a.ID, "err", err)
			return
		}
	}
	path, names, device := u.cfg.Describe(a)
	now := u.cfg.Now().UnixMilli()
	u.mu.Lock()
	defer u.mu.Unlock()
	closed := a.State.Closed()
	var closes string
	if closed {
		closes = a.ID
	}
	record := func(step string) queued {
		return queued{closes: closes, rec: countywire.Record{County: u.cfg.County, Kind: countywire.KindAlarm, AtMS: now,
			Alarm: &countywire.Alarm{Step: step, State: state, GridPath: path, GridNames: names, DeviceName: device}}}
	}
	prev, known := u.last[a.ID]
	if !known && closed {
		// A closed alarm last no longer holds (or never did): the outbox
		// knows what the county was told of it.
		q := record("")
		q.late = entrySteps(a)
		u.pending = append(u.pending, q)
		delete(u.unsure, a.ID)
		u.signal(u.queue)
		return
	}
	n := -1
	if known {
		n = prev.entries
	}
	for _, step := range Steps(n, a, known && string(prev.state) == string(state)) {
		u.pending = append(u.pending, record(step))
	}
	u.last[a.ID] = seen{entries: max(n, len(a.Timeline)), state: state, closed: closed}
	delete(u.unsure, a.ID)
	u.signal(u.queue)
}

// Sync queues whatever the county has not seen of the alarms open now
// (the desk's list at start): the steps the outbox does not hold, or all
// of them for an alarm it never had. The sender also publishes every
// open alarm's retained state once the backlog is sent.
func (u *Uplink) Sync(open []alarm.Alarm) {
	for _, a := range open {
		u.Alarm(a)
	}
}

// Unclosed are the alarms the county was last told are open. At start,
// those the desk no longer lists as open (closed while a crash lost the
// news) are to be passed to Alarm too, so that the county learns.
func (u *Uplink) Unclosed() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []string
	for id, s := range u.last {
		if !s.closed {
			out = append(out, id)
		}
	}
	for id := range u.unsure {
		out = append(out, id)
	}
	return out
}

// Presence queues a device's presence change.
func (u *Uplink) Presence(p countywire.Presence) {
	u.enqueue(countywire.Record{County: u.cfg.County, Kind: countywire.KindPresence, AtMS: u.cfg.Now().UnixMilli(), Presence: &p})
}

func (u *Uplink) enqueue(r countywire.Record) {
	u.mu.Lock()
	u.pending = append(u.pending, queued{rec: r})
	u.mu.Unlock()
	u.signal(u.queue)
}

func (u *Uplink) signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Run writes, sends and summarises until ctx is done; the writer stores
// what was queued before ctx ended.
func (u *Uplink) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { u.write(ctx) })
	wg.Go(func() { u.summarise(ctx) })
	s := newSender(u)
	wg.Go(func() { s.run(ctx) })
	wg.Wait()
	return nil
}

// write appends what was queued to the outbox, in order.
func (u *Uplink) write(ctx context.Context) {
	for {
		select {
		case <-u.queue:
		case <-ctx.Done():
			u.flush()
			return
		}
		for !u.flush() {
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return
			}
		}
	}
}

// flush appends the queue to the outbox; false if it could not (the
// records stay queued, in front of newer ones).
func (u *Uplink) flush() bool {
	u.mu.Lock()
	batch := u.pending
	u.pending = nil
	u.mu.Unlock()
	if len(batch) == 0 {
		return true
	}
	written, shed, err := u.box.appendQueued(batch)
	if err != nil {
		u.cfg.Logger.Error("uplink: records not stored; retrying", "records", len(batch), "err", err)
		u.m.writeFailed.Inc()
		u.mu.Lock()
		u.pending = append(batch, u.pending...)
		u.mu.Unlock()
		return false
	}
	u.prune(batch)
	u.m.queued.Add(float64(written))
	if shed > 0 {
		u.m.shed.Add(float64(shed))
		u.cfg.Logger.Warn("uplink: outbox full; oldest summaries shed", "shed", shed)
	}
	u.signal(u.wrote)
	return true
}

// prune drops from last the closed alarms whose closing record the
// outbox now holds (see last). A later record of the same alarm still
// queued is written after the one just written, so a late change queued
// after this reads the outbox as it will be then.
func (u *Uplink) prune(written []queued) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, q := range written {
		if s, ok := u.last[q.closes]; ok && q.closes != "" && s.closed {
			delete(u.last, q.closes)
		}
	}
}

// SummaryNow asks for a Summary at once, besides the periodic ones:
// something it tells changed (emergency mode was switched). It never
// blocks: the summary is built and queued by Run's summariser, not by the
// caller (the escalation desk's goroutine). Asks made before Run, or
// while one is pending, make one summary.
func (u *Uplink) SummaryNow() { u.signal(u.soon) }

// summarise queues a Summary every SummaryEvery, and whenever SummaryNow
// asks.
func (u *Uplink) summarise(ctx context.Context) {
	if u.cfg.Summary == nil {
		return
	}
	t := time.NewTicker(u.cfg.SummaryEvery)
	defer t.Stop()
	for {
		u.queueSummary()
		select {
		case <-t.C:
		case <-u.soon:
		case <-ctx.Done():
			return
		}
	}
}

func (u *Uplink) summary() countywire.Record {
	s := u.cfg.Summary()
	n, _, oldest := u.box.backlog()
	now := u.cfg.Now().UnixMilli()
	s.Backlog = n
	if s.Version == "" {
		s.Version = u.cfg.Version
	}
	if oldest > 0 {
		s.LagMS = max(0, now-oldest)
	}
	return countywire.Record{County: u.cfg.County, Kind: countywire.KindSummary, AtMS: now, Summary: &s}
}

// queueSummary queues a Summary carrying the alarms the queued records
// leave open (countywire.OpenAlarms). The list is taken and the record
// queued under one lock, the lock Alarm queues under, so the record
// falls in the stream exactly where the list is true: every alarm record
// before it is reflected in it, none after.
func (u *Uplink) queueSummary() {
	r := u.summary()
	u.mu.Lock()
	r.Summary.Open = u.openSet()
	u.pending = append(u.pending, queued{rec: r})
	u.mu.Unlock()
	u.signal(u.queue)
}

// openSet lists the alarms told open so far, or nil when there are more
// than countywire.MaxOpenIDs. u.mu is held.
func (u *Uplink) openSet() *countywire.OpenAlarms {
	ids := []string{}
	for id, s := range u.last {
		if !s.closed {
			ids = append(ids, id)
		}
	}
	for id := range u.unsure {
		if _, known := u.last[id]; !known {
			ids = append(ids, id)
		}
	}
	if len(ids) > countywire.MaxOpenIDs {
		return nil
	}
	slices.Sort(ids)
	return &countywire.OpenAlarms{IDs: ids}
}
