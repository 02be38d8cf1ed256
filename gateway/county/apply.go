package county

import (
	"encoding/json"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// retainedAlarm applies the retained state of alarm id: a record, or an
// empty payload once the alarm has closed at the site. s.mu is held.
func (s *State) retainedAlarm(st *site, topic, id string, payload []byte, recv int64) ([]Alarm, error) {
	if !validAlarmID(id) {
		return nil, reject(badTopic, "topic %q: bad alarm id", topic)
	}
	if len(payload) == 0 {
		e := st.alarms[id]
		if e == nil || e.a.State.Closed() {
			return nil, nil
		}
		// Closed at the site, and its closing record not (yet) here:
		// it leaves the open list and can never be reopened.
		delete(st.alarms, id)
		s.tomb(Key{Site: st.id, ID: id}, st)
		s.m.open.Dec()
		st.open--
		gone := e.a
		gone.State, gone.LastStep = alarm.Cleared, "closed"
		return []Alarm{gone}, nil
	}
	rec, err := s.record(st, topic, payload)
	if err != nil {
		return nil, err
	}
	if rec.Kind != countywire.KindAlarm {
		return nil, reject(badRecord, "%s: retained record %s is a %q, want an alarm", topic, rec.ID, rec.Kind)
	}
	if rec.AtMS > st.lastAt {
		st.lastAt, st.lastRecv = rec.AtMS, recv
	}
	a, changed, err := s.applyAlarm(st, topic, rec, id)
	if err != nil || !changed {
		return nil, err
	}
	return []Alarm{a}, nil
}

// applyAlarm applies an alarm record unless the view holds a newer state
// of the alarm (a higher seq), so a late or repeated record never takes an
// alarm back. id, when set, is the alarm the topic names. s.mu is held.
func (s *State) applyAlarm(st *site, topic string, rec countywire.Record, id string) (Alarm, bool, error) {
	if rec.Alarm == nil {
		return Alarm{}, false, reject(badRecord, "%s: alarm record %s without its alarm", topic, rec.ID)
	}
	var a alarm.Alarm
	if err := json.Unmarshal(rec.Alarm.State, &a); err != nil {
		return Alarm{}, false, reject(badJSON, "%s: record %s: alarm state: %v", topic, rec.ID, err)
	}
	if !validAlarmID(a.ID) || id != "" && a.ID != id {
		return Alarm{}, false, reject(badRecord, "%s: record %s: alarm id %q", topic, rec.ID, a.ID)
	}
	e := st.alarms[a.ID]
	if e != nil && e.a.Seq >= rec.Seq {
		s.m.stale.Inc()
		return Alarm{}, false, nil
	}
	if st.tombs[a.ID] && !a.State.Closed() {
		s.m.stale.Inc()
		return Alarm{}, false, nil
	}
	if !a.State.Closed() && st.closedBySummary(a.ID, rec.Seq) {
		// A newer summary of the site says it closed since: a late copy
		// (its closing record missed) never makes it open again.
		if e == nil {
			s.tomb(Key{Site: st.id, ID: a.ID}, st)
		}
		s.m.stale.Inc()
		return Alarm{}, false, nil
	}
	ca := Alarm{
		Alarm: a, ID: Key{Site: st.id, ID: a.ID}.String(), SiteAlarmID: a.ID, Site: st.id,
		GridPath: rec.Alarm.GridPath, GridNames: rec.Alarm.GridNames, DeviceName: rec.Alarm.DeviceName,
		LastStep: rec.Alarm.Step, Seq: rec.Seq, UpdatedMS: rec.AtMS,
	}
	wasOpen, wasClosed := e != nil && !e.a.State.Closed(), e != nil && e.a.State.Closed()
	if e == nil {
		e = &entry{}
		st.alarms[a.ID] = e
	}
	e.a = ca
	delete(st.missing, a.ID)
	switch {
	case !wasOpen && !a.State.Closed():
		s.m.open.Inc()
		st.open++
	case wasOpen && a.State.Closed():
		s.m.open.Dec()
		st.open--
	}
	if a.State.Closed() && !wasClosed {
		s.closeAlarm(ca.Key())
	}
	return ca.clone(), true, nil
}

// closeAlarm queues a closed alarm for forgetting once MaxClosed newer
// ones closed. s.mu is held.
func (s *State) closeAlarm(k Key) {
	s.closed = append(s.closed, k)
	for len(s.closed) > MaxClosed {
		old := s.closed[0]
		s.closed = s.closed[1:]
		if st := s.sites[old.Site]; st != nil {
			if e := st.alarms[old.ID]; e != nil && e.a.State.Closed() {
				delete(st.alarms, old.ID)
				s.tomb(old, st)
			}
		}
	}
}

// tomb remembers that alarm k is closed and forgotten. s.mu is held.
func (s *State) tomb(k Key, st *site) {
	if st.tombs[k.ID] {
		return
	}
	st.tombs[k.ID] = true
	delete(st.missing, k.ID)
	s.tombOrder = append(s.tombOrder, k)
	for len(s.tombOrder) > maxTombs {
		old := s.tombOrder[0]
		s.tombOrder = s.tombOrder[1:]
		if ost := s.sites[old.Site]; ost != nil {
			delete(ost.tombs, old.ID)
		}
	}
}
