package county

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

const testCounty = "qx"

// gw builds the records one site's uplink would send.
type gw struct {
	site string
	seq  uint64
}

func (g *gw) topics() countywire.Topics { return countywire.Topics{County: testCounty, Site: g.site} }

// alarmRecord is the next record of alarm a after step.
func (g *gw) alarmRecord(t testing.TB, step string, a alarm.Alarm) []byte {
	t.Helper()
	g.seq++
	state, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return mustJSON(t, countywire.Record{
		ID: countywire.MakeID(g.site, g.seq), County: testCounty, Site: g.site, Seq: g.seq, Kind: countywire.KindAlarm,
		AtMS: a.RaisedMS + int64(g.seq), Alarm: &countywire.Alarm{Step: step, State: state,
			GridPath: []string{"lh-g1", "lh", "street-1"}, GridNames: []string{"一网格", "莲花社区", "莲花街道"}},
	})
}

// summaryWith is the next summary, listing open as the site's open
// alarms.
func (g *gw) summaryWith(t testing.TB, open ...string) []byte {
	return g.summaryRecord(t, countywire.Summary{Ready: true, OpenAlarms: len(open), Open: &countywire.OpenAlarms{IDs: append([]string{}, open...)}})
}

func (g *gw) summaryRecord(t testing.TB, s countywire.Summary) []byte {
	g.seq++
	return mustJSON(t, countywire.Record{ID: countywire.MakeID(g.site, g.seq), County: testCounty, Site: g.site,
		Seq: g.seq, Kind: countywire.KindSummary, AtMS: 1000, Summary: &s})
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lifecycle is an alarm through its steps: raised, paged, acked, resolved.
func lifecycle(id string) []alarm.Alarm {
	a := alarm.Alarm{ID: id, Rule: "panic", Severity: "red", Device: "lb-1", Grid: "lh-g1", State: alarm.Open, RaisedMS: 100_000, Step: -1,
		Timeline: []alarm.Entry{{At: 100_000, Kind: alarm.EntryRaised}}}
	paged := a
	paged.Step = 0
	paged.Timeline = append(paged.Timeline[:1:1], alarm.Entry{At: 101_000, Kind: alarm.EntryNotified})
	acked := paged
	acked.State = alarm.Acknowledged
	acked.Timeline = append(paged.Timeline[:2:2], alarm.Entry{At: 130_000, Kind: alarm.EntryAck, By: "m1"})
	resolved := acked
	resolved.State = alarm.Resolved
	resolved.Timeline = append(acked.Timeline[:3:3], alarm.Entry{At: 400_000, Kind: alarm.EntryResolve, By: "m1"})
	return []alarm.Alarm{a, paged, acked, resolved}
}

var steps = []string{countywire.StepRaised, countywire.StepPaged, countywire.StepAck, countywire.StepResolve}

func TestStateOrderAndDuplicates(t *testing.T) {
	g := &gw{site: "lianhua"}
	life := lifecycle("A1")
	var recs [][]byte
	for i, a := range life[:3] {
		recs = append(recs, g.alarmRecord(t, steps[i], a))
	}
	for _, tc := range []struct {
		name      string
		order     []int // indexes into recs
		wantState alarm.State
		wantSeq   uint64
	}{
		{"in order", []int{0, 1, 2}, alarm.Acknowledged, 3},
		{"duplicates", []int{0, 0, 1, 1, 2, 2, 1}, alarm.Acknowledged, 3},
		{"out of order: a stale step never takes the alarm back", []int{2, 0, 1}, alarm.Acknowledged, 3},
		{"only the first", []int{0}, alarm.Open, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen []Alarm
			s := NewState(testCounty, nil, nil, func(a Alarm) { seen = append(seen, a) }, nil)
			for _, i := range tc.order {
				if err := s.Apply(g.topics().Events(), recs[i]); err != nil {
					t.Fatal(err)
				}
			}
			a, ok := s.Get(Key{Site: "lianhua", ID: "A1"})
			if !ok || a.State != tc.wantState || a.Seq != tc.wantSeq {
				t.Fatalf("alarm = %+v %v; want state %s seq %d", a, ok, tc.wantState, tc.wantSeq)
			}
			if a.ID != "lianhua/A1" || a.Site != "lianhua" || a.SiteAlarmID != "A1" {
				t.Errorf("ids: %q %q %q", a.ID, a.Site, a.SiteAlarmID)
			}
			for i := 1; i < len(seen); i++ {
				if seen[i].Seq <= seen[i-1].Seq {
					t.Errorf("change %d has seq %d after %d: a change went backwards", i, seen[i].Seq, seen[i-1].Seq)
				}
			}
		})
	}
}

func TestStateRetainedAndClose(t *testing.T) {
	g := &gw{site: "lianhua"}
	life := lifecycle("A1")
	tp := g.topics()
	s := NewState(testCounty, nil, nil, nil, nil)
	raised := g.alarmRecord(t, countywire.StepRaised, life[0])
	acked := g.alarmRecord(t, countywire.StepAck, life[2])
	// A late start: the retained state of the open alarm, then the live
	// record it already reflects.
	if err := s.Apply(tp.Alarm("A1"), acked); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(tp.Events(), raised); err != nil {
		t.Fatal(err)
	}
	if got := s.List(Filter{}); len(got) != 1 || got[0].State != alarm.Acknowledged {
		t.Fatalf("open alarms = %+v; want A1 acknowledged", got)
	}
	// Closed at the site; the resolve record lost to this view: the empty
	// retained payload closes it, and a late ack cannot reopen it.
	if err := s.Apply(tp.Alarm("A1"), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(tp.Alarm("A1"), acked); err != nil {
		t.Fatal(err)
	}
	if got := s.List(Filter{}); len(got) != 0 || s.Sites()[0].OpenAlarms != 0 {
		t.Fatalf("open alarms after close = %+v (health says %d); want none", got, s.Sites()[0].OpenAlarms)
	}
	// A retained record under another alarm's topic is refused.
	if err := s.Apply(tp.Alarm("A2"), raised); err == nil {
		t.Error("a record under another alarm's topic was accepted")
	}
}

func TestStateRefusesForeignRecords(t *testing.T) {
	g := &gw{site: "lianhua"}
	rec := g.alarmRecord(t, countywire.StepRaised, lifecycle("A1")[0])
	for name, topic := range map[string]string{
		"other site's topic":   countywire.Topics{County: testCounty, Site: "other"}.Events(),
		"other county's topic": countywire.Topics{County: "elsewhere", Site: "lianhua"}.Events(),
		"unknown topic":        g.topics().Down(),
	} {
		s := NewState(testCounty, nil, nil, nil, nil)
		if err := s.Apply(topic, rec); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if len(s.List(Filter{State: alarm.FilterAll})) != 0 {
			t.Errorf("%s: an alarm was taken in", name)
		}
	}
	s := NewState(testCounty, nil, nil, nil, nil)
	for _, bad := range [][]byte{[]byte("{"), []byte(`{"id":"lianhua:1","county":"qx","site":"lianhua","seq":1,"kind":"alarm"}`)} {
		if err := s.Apply(g.topics().Events(), bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestKPIs(t *testing.T) {
	g := &gw{site: "lianhua"}
	s := NewState(testCounty, nil, nil, nil, nil)
	life := lifecycle("A1")
	for i, a := range life {
		if err := s.Apply(g.topics().Events(), g.alarmRecord(t, steps[i], a)); err != nil {
			t.Fatal(err)
		}
	}
	r := s.KPIs(0)
	want := KPI{Alarms: 1, ToPage: Stat{1, 1000, 1000}, ToAck: Stat{1, 30_000, 30_000}}
	if r.County != want {
		t.Errorf("county KPI = %+v; want %+v", r.County, want)
	}
	if r.Sites["lianhua"] != want || r.Grids["street-1"].KPI != want || r.Grids["street-1"].Name != "莲花街道" {
		t.Errorf("site/grid KPIs = %+v %+v", r.Sites, r.Grids)
	}
	if got := stat([]int64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}); got != (Stat{10, 5, 9}) {
		t.Errorf("stat = %+v; want median 5, p90 9", got)
	}
}

func TestSiteHealth(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	g := &gw{site: "lianhua"}
	s := NewState(testCounty, func() time.Time { return now }, nil, nil, nil)
	if err := s.Apply(g.topics().Status(), mustJSON(t, countywire.Status{Online: true, AtMS: 5})); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(g.topics().Summary(), g.summaryRecord(t, countywire.Summary{Ready: true, Backlog: 3, LagMS: 1500})); err != nil {
		t.Fatal(err)
	}
	h := s.Sites()
	if len(h) != 1 || !h[0].Online || !h[0].Ready || h[0].UplinkBacklog != 3 || h[0].UplinkLagMS != 1500 || h[0].Stale {
		t.Fatalf("health = %+v", h)
	}
	for i, online := range []bool{false, true, false} {
		g.seq++
		rec := countywire.Record{ID: countywire.MakeID(g.site, g.seq), County: testCounty, Site: g.site, Seq: g.seq,
			Kind: countywire.KindPresence, AtMS: 2000, Presence: &countywire.Presence{Device: []string{"lb-1", "lb-1", "cam-2"}[i], Online: online}}
		if err := s.Apply(g.topics().Events(), mustJSON(t, rec)); err != nil {
			t.Fatal(err)
		}
	}
	if h := s.Sites(); !slices.Equal(h[0].OfflineDevices, []string{"cam-2"}) {
		t.Errorf("offline devices = %v; want cam-2 (lb-1 came back)", h[0].OfflineDevices)
	}
	now = now.Add(StaleAfter + time.Second)
	if err := s.Apply(g.topics().Status(), mustJSON(t, countywire.Status{Online: false, AtMS: 5})); err != nil {
		t.Fatal(err)
	}
	if h := s.Sites(); h[0].Online || !h[0].Stale {
		t.Errorf("after the will and no summary: %+v; want offline and stale", h[0])
	}
}
