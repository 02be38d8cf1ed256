package county

import (
	"cmp"
	"slices"
	"time"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Filter selects alarms of the county view.
type Filter struct {
	// State is alarm.FilterOpen ("" too) or alarm.FilterAll (open and
	// the recently closed the view holds).
	State string
	// Site keeps one site's alarms.
	Site string
	// Grid, Street and Community keep alarms at or below a cell, named by
	// its id or its name anywhere on the alarm's grid path. They differ
	// only in what the caller means; all given must match.
	Grid, Street, Community string
	// Since keeps alarms raised at or after it (Unix ms).
	Since int64
	// Limit caps the answer; 0 means alarm.DefaultLimit.
	Limit int
	// Visible, when set, keeps only the alarms it accepts (the caller's,
	// see Sees).
	Visible func(*Alarm) bool
}

// matches reports whether a passes f.
func (f Filter) matches(a *Alarm) bool {
	if f.State != alarm.FilterAll && a.State.Closed() {
		return false
	}
	if f.Site != "" && a.Site != f.Site || f.Since > 0 && a.RaisedMS < f.Since {
		return false
	}
	for _, g := range []string{f.Grid, f.Street, f.Community} {
		if g != "" && !a.InGrid(g) && !slices.Contains(a.GridNames, g) {
			return false
		}
	}
	return f.Visible == nil || f.Visible(a)
}

// List returns the alarms f selects, newest first.
func (s *State) List(f Filter) []Alarm {
	limit := cmp.Or(f.Limit, alarm.DefaultLimit)
	s.mu.Lock()
	var out []*Alarm
	for _, st := range s.sites {
		for _, e := range st.alarms {
			if f.matches(&e.a) {
				out = append(out, &e.a)
			}
		}
	}
	slices.SortFunc(out, func(a, b *Alarm) int {
		return cmp.Or(cmp.Compare(b.RaisedMS, a.RaisedMS), cmp.Compare(a.ID, b.ID))
	})
	res := make([]Alarm, 0, min(len(out), limit))
	for _, a := range out[:min(len(out), limit)] {
		res = append(res, a.clone())
	}
	s.mu.Unlock()
	return res
}

// Get returns the alarm k, open or recently closed.
func (s *State) Get(k Key) (Alarm, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.sites[k.Site]; st != nil {
		if e := st.alarms[k.ID]; e != nil {
			return e.a.clone(), true
		}
	}
	return Alarm{}, false
}

// KnownSite reports whether anything was heard of site.
func (s *State) KnownSite(site string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sites[site]
	return ok
}

// SiteHealth is how a site's gateway and its uplink are doing, as the
// county sees them.
type SiteHealth struct {
	Site string `json:"site"`
	// Online is the site's retained status (its will says offline);
	// StatusKnown is false until one arrived.
	Online      bool  `json:"online"`
	StatusKnown bool  `json:"status_known"`
	StatusMS    int64 `json:"status_ms,omitempty"`
	// From the latest summary: the gateway's readiness, its own count
	// of open alarms and devices, and its uplink's backlog and lag.
	Ready          bool   `json:"ready"`
	SummaryMS      int64  `json:"last_summary_ms,omitempty"`
	SummaryAgeMS   int64  `json:"summary_age_ms,omitempty"`
	SiteOpen       int    `json:"site_open_alarms"`
	DevicesOnline  int    `json:"devices_online"`
	DevicesOffline int    `json:"devices_offline"`
	UplinkBacklog  int    `json:"uplink_backlog"`
	UplinkLagMS    int64  `json:"uplink_lag_ms"`
	Version        string `json:"version,omitempty"`
	// OpenAlarms is how many open alarms of the site the county holds.
	OpenAlarms int `json:"open_alarms"`
	// LastRecordMS is the site time of the newest record; RecordLagMS
	// how long it took to reach the county (clocks permitting).
	LastRecordMS int64  `json:"last_record_ms,omitempty"`
	RecordLagMS  int64  `json:"record_lag_ms,omitempty"`
	LastSeq      uint64 `json:"last_seq"`
	// Stale says no summary arrived for StaleAfter.
	Stale bool `json:"stale"`
	// Incomplete says the view cannot vouch for the site's open alarms:
	// no summary listing them arrived since the view last (re)subscribed,
	// or the latest lists MissingAlarms the view does not hold (their
	// retained state did not come; the view asks for it again).
	Incomplete    bool `json:"incomplete"`
	MissingAlarms int  `json:"missing_alarms"`
	// OfflineDevices are the devices the site's presence records last
	// said are offline, by id (at most maxOfflineShown).
	OfflineDevices []string `json:"offline_devices"`
	// Emergency is where emergency mode is on, as last told; absent
	// while the site never told (a gateway older than the field).
	Emergency *SiteEmergency `json:"emergency,omitempty"`
}

// maxOfflineShown bounds SiteHealth.OfflineDevices.
const maxOfflineShown = 100

// StaleAfter is how long a site may go without a summary (three of the
// uplink's default 30 s) before the county marks it stale.
const StaleAfter = 90 * time.Second

// Sites returns every site's health, by site id.
func (s *State) Sites() []SiteHealth {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SiteHealth, 0, len(s.sites))
	for _, st := range s.sites {
		out = append(out, s.health(st))
	}
	slices.SortFunc(out, func(a, b SiteHealth) int { return cmp.Compare(a.Site, b.Site) })
	return out
}

// health is st's health now. s.mu is held.
func (s *State) health(st *site) SiteHealth {
	now := s.now().UnixMilli()
	h := SiteHealth{Site: st.id, LastSeq: st.lastSeq, LastRecordMS: st.lastAt, Stale: true}
	if st.lastAt > 0 {
		h.RecordLagMS = max(0, st.lastRecv-st.lastAt)
	}
	if st.status != nil {
		h.StatusKnown, h.Online, h.StatusMS = true, st.status.Online, st.status.AtMS
	}
	if sum := st.summary; sum != nil {
		h.Ready, h.SiteOpen, h.DevicesOnline, h.DevicesOffline = sum.Ready, sum.OpenAlarms, sum.DevicesOnline, sum.DevicesOffline
		h.UplinkBacklog, h.UplinkLagMS, h.Version = sum.Backlog, sum.LagMS, sum.Version
		h.SummaryMS, h.SummaryAgeMS = st.summaryAt, max(0, now-st.summaryRecv)
		h.Stale = time.Duration(h.SummaryAgeMS)*time.Millisecond > StaleAfter
	}
	h.OpenAlarms = st.open
	h.Emergency = st.emergencyHealth(h.Stale || h.StatusKnown && !h.Online)
	h.Incomplete, h.MissingAlarms = s.incomplete(st), len(st.missing)
	h.OfflineDevices = []string{}
	for id, p := range st.presence {
		if !p.Online {
			h.OfflineDevices = append(h.OfflineDevices, id)
		}
	}
	slices.Sort(h.OfflineDevices)
	h.OfflineDevices = h.OfflineDevices[:min(len(h.OfflineDevices), maxOfflineShown)]
	return h
}
