package county

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gridwatch/gridwatch/gateway/countywire"
)

// Bounds of what the view holds.
const (
	// MaxClosed is how many closed alarms the view keeps, across the
	// county, for state=all and the KPIs; the oldest go first.
	MaxClosed = 20000
	// maxTombs is how many forgotten closed alarms are remembered by key,
	// so that a late copy of one of their records cannot reopen them.
	maxTombs = 200000
	// seenWindow is how many records per site are remembered (by seq,
	// which the record's id names) to drop duplicates; an older duplicate
	// of an alarm record is still caught by the alarm's seq, and one of a
	// summary by the summary's.
	seenWindow = 1024
	// maxPresence bounds the devices remembered per site.
	maxPresence = 20000
	// MaxPayload is the largest record accepted.
	MaxPayload = 1 << 20
)

// Why a message was refused, as metric labels.
const (
	badTopic   = "topic"
	badJSON    = "json"
	badRecord  = "record"
	badSize    = "size"
	badCounty  = "county"
	badSiteTag = "site"
)

// rejectError is a refused message and why, as a metric label.
type rejectError struct {
	reason string
	err    error
}

func (e *rejectError) Error() string { return e.err.Error() }
func (e *rejectError) Unwrap() error { return e.err }

func reject(reason, format string, args ...any) error {
	return &rejectError{reason: reason, err: fmt.Errorf(format, args...)}
}

// State is the county's picture of every site: open alarms (and the most
// recent closed ones), summaries, statuses and presence. Apply feeds it
// the messages of countywire.CountyFilters; it is safe for concurrent
// use.
type State struct {
	county string
	now    func() time.Time
	m      *metrics
	// onAlarm and onSite are told of every change, outside the lock.
	onAlarm func(Alarm)
	onSite  func(SiteHealth)

	mu        sync.Mutex
	sites     map[string]*site
	closed    []Key // closed alarms, oldest first
	tombOrder []Key
	epoch     uint64 // counts (re)subscriptions
}

// site is one gateway's part of the picture.
type site struct {
	id       string
	alarms   map[string]*entry
	tombs    map[string]bool // closed and forgotten: never reopened
	seen     map[uint64]bool
	seenRing []uint64
	lastSeq  uint64
	open     int // open alarms held
	// lastAt is the site time of the newest record, lastRecv when it
	// arrived.
	lastAt, lastRecv int64
	summary          *countywire.Summary
	summarySeq       uint64
	summaryAt        int64 // site time of the summary
	summaryRecv      int64
	status           *countywire.Status
	statusRecv       int64
	presence         map[string]countywire.Presence
	// openList is the open alarms the latest summary lists
	// (countywire.OpenAlarms), nil when it lists none; missing are those
	// of them the view does not hold; confirmed is the resync epoch + 1
	// in which a summary with the list last arrived (0: never).
	openList  map[string]bool
	missing   map[string]bool
	confirmed uint64
	// emergency is what the summaries told of emergency mode (nil:
	// nothing yet).
	emergency *emergencyState
}

// entry is an alarm the view holds.
type entry struct {
	a Alarm
}

// NewState makes an empty picture of county. onAlarm and onSite (either
// may be nil) are called after each change, without any lock held; they
// must not block.
func NewState(county string, now func() time.Time, m *metrics, onAlarm func(Alarm), onSite func(SiteHealth)) *State {
	if now == nil {
		now = time.Now
	}
	if m == nil {
		m = discardMetrics()
	}
	return &State{county: county, now: now, m: m, onAlarm: onAlarm, onSite: onSite, sites: make(map[string]*site)}
}

// Apply takes one message of the county's topics. A message it cannot use
// is refused with an error saying why (and counted); nothing it held
// before is lost.
func (s *State) Apply(topic string, payload []byte) error {
	err := s.apply(topic, payload)
	if re, ok := errors.AsType[*rejectError](err); ok {
		s.m.rejected.WithLabelValues(re.reason).Inc()
	}
	return err
}

func (s *State) apply(topic string, payload []byte) error {
	siteID, rest, ok := countywire.SiteOf(s.county, topic)
	if !ok || !validSiteID(siteID) {
		return reject(badTopic, "topic %q: not a site topic of county %s", topic, s.county)
	}
	if len(payload) > MaxPayload {
		return reject(badSize, "%s: %d bytes; at most %d", topic, len(payload), MaxPayload)
	}
	recv := s.now().UnixMilli()
	var (
		alarms []Alarm
		health *SiteHealth
		err    error
	)
	s.mu.Lock()
	st := s.site(siteID)
	switch {
	case rest == "events":
		alarms, err = s.event(st, topic, payload, recv)
	case strings.HasPrefix(rest, "alarm/"):
		alarms, err = s.retainedAlarm(st, topic, strings.TrimPrefix(rest, "alarm/"), payload, recv)
	case rest == "summary":
		if len(payload) > 0 {
			var rec countywire.Record
			if rec, err = s.record(st, topic, payload); err == nil {
				alarms, err = s.applySummary(st, rec, recv)
			}
		}
	case rest == "status":
		if len(payload) > 0 {
			var stat countywire.Status
			if jerr := json.Unmarshal(payload, &stat); jerr != nil {
				err = reject(badJSON, "%s: %v", topic, jerr)
			} else {
				st.status, st.statusRecv = &stat, recv
			}
		}
	default:
		err = reject(badTopic, "topic %q: not one the county view reads", topic)
	}
	if s.onSite != nil {
		h := s.health(st)
		health = &h
	}
	s.mu.Unlock()
	for _, a := range alarms {
		if s.onAlarm != nil {
			s.onAlarm(a)
		}
	}
	if health != nil && s.onSite != nil {
		s.onSite(*health)
	}
	return err
}

// site returns the site's part, making it. s.mu is held.
func (s *State) site(id string) *site {
	st := s.sites[id]
	if st == nil {
		st = &site{id: id, alarms: make(map[string]*entry), tombs: make(map[string]bool),
			seen: make(map[uint64]bool), presence: make(map[string]countywire.Presence)}
		s.sites[id] = st
		s.m.sites.Set(float64(len(s.sites)))
	}
	return st
}

// record decodes a record published under st's topics and checks that it
// says it is st's.
func (s *State) record(st *site, topic string, payload []byte) (countywire.Record, error) {
	var rec countywire.Record
	if err := json.Unmarshal(payload, &rec); err != nil {
		return rec, reject(badJSON, "%s: %v", topic, err)
	}
	switch {
	case rec.County != s.county:
		return rec, reject(badCounty, "%s: record %s says county %q", topic, rec.ID, rec.County)
	case rec.Site != st.id:
		// A gateway publishes only under its own site.
		return rec, reject(badSiteTag, "%s: record %s says site %q", topic, rec.ID, rec.Site)
	case rec.Seq == 0 || rec.ID != countywire.MakeID(rec.Site, rec.Seq):
		return rec, reject(badRecord, "%s: record id %q does not match seq %d", topic, rec.ID, rec.Seq)
	}
	return rec, nil
}

// event applies a record of the site's event stream. s.mu is held.
func (s *State) event(st *site, topic string, payload []byte, recv int64) ([]Alarm, error) {
	rec, err := s.record(st, topic, payload)
	if err != nil {
		return nil, err
	}
	if st.seen[rec.Seq] {
		s.m.duplicates.Inc()
		return nil, nil
	}
	st.remember(rec.Seq)
	switch {
	case st.lastSeq == 0:
	case rec.Seq < st.lastSeq:
		s.m.outOfOrder.Inc()
	case rec.Seq > st.lastSeq+1:
		s.m.gaps.Inc() // summaries shed at the site while the county was away
	}
	if rec.Seq > st.lastSeq {
		st.lastSeq = rec.Seq
	}
	if rec.AtMS > st.lastAt {
		st.lastAt, st.lastRecv = rec.AtMS, recv
		if lag := recv - rec.AtMS; lag >= 0 {
			s.m.lag.Observe(float64(lag) / 1000)
		}
	}
	s.m.records.WithLabelValues(rec.Kind).Inc()
	switch rec.Kind {
	case countywire.KindAlarm:
		a, changed, err := s.applyAlarm(st, topic, rec, "")
		if err != nil || !changed {
			return nil, err
		}
		return []Alarm{a}, nil
	case countywire.KindSummary:
		return s.applySummary(st, rec, recv)
	case countywire.KindPresence:
		p := rec.Presence
		if p == nil || p.Device == "" {
			return nil, reject(badRecord, "%s: presence record %s without a device", topic, rec.ID)
		}
		if _, known := st.presence[p.Device]; known || len(st.presence) < maxPresence {
			st.presence[p.Device] = *p
		}
		return nil, nil
	}
	return nil, reject(badRecord, "%s: record %s: unknown kind %q", topic, rec.ID, rec.Kind)
}

// remember adds seq to the site's window of records seen.
func (st *site) remember(seq uint64) {
	st.seen[seq] = true
	st.seenRing = append(st.seenRing, seq)
	if len(st.seenRing) > seenWindow {
		delete(st.seen, st.seenRing[0])
		st.seenRing = st.seenRing[1:]
	}
}

// applySummary keeps the newest summary and takes its list of open
// alarms as evidence (see reconcile); it returns the alarms that evidence
// closed. A repeat of the summary held (its retained copy after a
// resubscription) confirms the list again. s.mu is held.
func (s *State) applySummary(st *site, rec countywire.Record, recv int64) ([]Alarm, error) {
	if rec.Kind != countywire.KindSummary || rec.Summary == nil {
		return nil, reject(badRecord, "summary record %s of site %s is a %q without a summary", rec.ID, st.id, rec.Kind)
	}
	if rec.Seq < st.summarySeq {
		return nil, nil
	}
	if rec.Seq > st.summarySeq {
		sum := *rec.Summary
		sum.Open, sum.Emergency = nil, nil // kept as openList and emergency
		st.summary, st.summarySeq, st.summaryAt, st.summaryRecv = &sum, rec.Seq, rec.AtMS, recv
		st.takeEmergency(rec.Summary.Emergency, rec.AtMS)
		st.openList = nil
		// A list longer than a gateway sends proves nothing (and is
		// not kept).
		if o := rec.Summary.Open; o != nil && len(o.IDs) <= countywire.MaxOpenIDs {
			st.openList = make(map[string]bool, len(o.IDs))
			for _, id := range o.IDs {
				if validAlarmID(id) {
					st.openList[id] = true
				}
			}
		}
	}
	if st.openList != nil {
		st.confirmed = s.epoch + 1
	}
	return s.reconcile(st), nil
}
