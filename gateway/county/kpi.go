package county

import (
	"math"
	"slices"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Stat is the spread of one interval over a set of alarms.
type Stat struct {
	// Count is how many alarms reached the interval's end.
	Count    int   `json:"count"`
	MedianMS int64 `json:"median_ms"`
	P90MS    int64 `json:"p90_ms"`
}

// KPI is how fast a set of alarms was answered: from the press (the
// alarm raised) to its first page, its first acknowledgement and the
// first arrival on scene, from the alarms' own timelines.
type KPI struct {
	Alarms   int  `json:"alarms"`
	Open     int  `json:"open"`
	ToPage   Stat `json:"press_to_page"`
	ToAck    Stat `json:"press_to_ack"`
	ToArrive Stat `json:"press_to_arrive"`
}

// GridKPI is a grid cell's KPI, over the alarms at or below it.
type GridKPI struct {
	Name string `json:"name,omitempty"`
	KPI
}

// KPIReport is the county's KPIs over the alarms raised since SinceMS
// that the view holds (the open ones and the MaxClosed latest closed).
type KPIReport struct {
	SinceMS int64              `json:"since_ms"`
	County  KPI                `json:"county"`
	Sites   map[string]KPI     `json:"sites"`
	Grids   map[string]GridKPI `json:"grids"`
}

// samples gathers the intervals of a set of alarms.
type samples struct {
	alarms, open          int
	toPage, toAck, toGone []int64
}

func (p *samples) add(a *Alarm) {
	p.alarms++
	if !a.State.Closed() {
		p.open++
	}
	page, ack, arrive := firstTimes(a)
	for _, x := range []struct {
		at  int64
		out *[]int64
	}{{page, &p.toPage}, {ack, &p.toAck}, {arrive, &p.toGone}} {
		if x.at > 0 && x.at >= a.RaisedMS {
			*x.out = append(*x.out, x.at-a.RaisedMS)
		}
	}
}

func (p *samples) kpi() KPI {
	return KPI{Alarms: p.alarms, Open: p.open, ToPage: stat(p.toPage), ToAck: stat(p.toAck), ToArrive: stat(p.toGone)}
}

// firstTimes are the times of the alarm's first page, ack and arrival
// (0: none yet).
func firstTimes(a *Alarm) (page, ack, arrive int64) {
	for _, e := range a.Timeline {
		var at *int64
		switch e.Kind {
		case alarm.EntryNotified:
			at = &page
		case alarm.EntryAck:
			at = &ack
		case alarm.EntryArrive:
			at = &arrive
		default:
			continue
		}
		if *at == 0 || e.At < *at {
			*at = e.At
		}
	}
	return page, ack, arrive
}

// stat is the median and 90th percentile (nearest rank) of v.
func stat(v []int64) Stat {
	if len(v) == 0 {
		return Stat{}
	}
	slices.Sort(v)
	rank := func(q float64) int64 { return v[max(0, int(math.Ceil(q*float64(len(v))))-1)] }
	return Stat{Count: len(v), MedianMS: rank(0.5), P90MS: rank(0.9)}
}

// KPIs works out the KPIs of the alarms raised at or after sinceMS, for
// the county, each site and each grid cell on the alarms' grid paths.
func (s *State) KPIs(sinceMS int64) KPIReport {
	county := &samples{}
	bySite := map[string]*samples{}
	byGrid := map[string]*samples{}
	names := map[string]string{}
	s.mu.Lock()
	for _, st := range s.sites {
		for _, e := range st.alarms {
			a := &e.a
			if a.RaisedMS < sinceMS {
				continue
			}
			county.add(a)
			sample(bySite, a.Site).add(a)
			for i, g := range a.GridPath {
				sample(byGrid, g).add(a)
				if i < len(a.GridNames) {
					names[g] = a.GridNames[i]
				}
			}
		}
	}
	s.mu.Unlock()
	r := KPIReport{SinceMS: sinceMS, County: county.kpi(), Sites: make(map[string]KPI, len(bySite)), Grids: make(map[string]GridKPI, len(byGrid))}
	for id, p := range bySite {
		r.Sites[id] = p.kpi()
	}
	for id, p := range byGrid {
		r.Grids[id] = GridKPI{Name: names[id], KPI: p.kpi()}
	}
	return r
}

func sample(m map[string]*samples, k string) *samples {
	p := m[k]
	if p == nil {
		p = &samples{}
		m[k] = p
	}
	return p
}
