package county

import (
	"slices"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// The view drops an open alarm only on positive evidence that it closed:
// its closing record, its emptied retained alarm/{id}, or a summary of
// its site newer than the alarm's last record that does not list it
// (countywire.OpenAlarms). An alarm whose retained state did not come
// again after a resubscription stays: a cluster may acknowledge a
// subscription without its retained messages (NATS does while it elects
// leaders), and the county hall must never lose sight of an open alarm.

// reconcile applies the site's latest summary list: the open alarms it
// holds from records older than the summary and not listed are closed at
// the site, and the listed alarms it does not hold are missing. It
// returns the alarms it closed. s.mu is held.
func (s *State) reconcile(st *site) []Alarm {
	if st.openList == nil {
		st.missing = nil
		return nil
	}
	var gone []Alarm
	for id, e := range st.alarms {
		if e.a.State.Closed() || e.a.Seq >= st.summarySeq || st.openList[id] {
			continue
		}
		// Closed at the site before its summary; the closing record and
		// the emptied retained state were missed. Never reopened.
		delete(st.alarms, id)
		s.tomb(Key{Site: st.id, ID: id}, st)
		s.m.open.Dec()
		s.m.swept.Inc()
		st.open--
		a := e.a.clone()
		a.State, a.LastStep = alarm.Cleared, "closed"
		gone = append(gone, a)
	}
	st.missing = nil
	for id := range st.openList {
		if st.alarms[id] == nil && !st.tombs[id] {
			if st.missing == nil {
				st.missing = make(map[string]bool)
			}
			st.missing[id] = true
		}
	}
	return gone
}

// closedBySummary reports whether the site's latest summary, newer than
// a record of alarm id with seq, says the alarm closed since. s.mu is
// held.
func (st *site) closedBySummary(id string, seq uint64) bool {
	return st.openList != nil && seq < st.summarySeq && !st.openList[id]
}

// incomplete reports whether the view cannot vouch for the site's open
// alarms: no summary with its open list arrived since the latest
// (re)subscription, or the latest lists alarms the view does not hold.
// s.mu is held.
func (s *State) incomplete(st *site) bool {
	return st.confirmed != s.epoch+1 || len(st.missing) > 0
}

// Missing returns the sites whose latest summary lists open alarms the
// view does not hold (their retained state did not come), by site id,
// and how many alarms are missing in all.
func (s *State) Missing() (sites []string, alarms int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, st := range s.sites {
		if len(st.missing) > 0 {
			sites = append(sites, id)
			alarms += len(st.missing)
		}
	}
	slices.Sort(sites)
	return sites, alarms
}

// BeginResync marks a new subscription: the cluster now sends the
// retained state of every open alarm again, or may not. Every site is
// incomplete until its next summary with an open list arrives.
func (s *State) BeginResync() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch++
	return s.epoch
}

// Sweep runs once the retained state after resync epoch has had time to
// come: it applies every site's latest summary list again (see
// reconcile) and returns how many open alarms that closed. It never
// drops an alarm because its retained state did not come again. An
// outdated epoch (a newer resync began) does nothing.
func (s *State) Sweep(epoch uint64) int {
	var gone []Alarm
	s.mu.Lock()
	if epoch == s.epoch {
		for _, st := range s.sites {
			gone = append(gone, s.reconcile(st)...)
		}
	}
	s.mu.Unlock()
	if s.onAlarm != nil {
		for _, a := range gone {
			s.onAlarm(a)
		}
	}
	return len(gone)
}
