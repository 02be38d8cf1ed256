package county

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestStateClosesOnlyOnEvidence: after a resubscription the view drops an
// open alarm only on positive evidence that it closed (a closing record,
// an emptied retained alarm/{id}, a newer summary that does not list it),
// never because its retained state did not come again; a summary listing
// alarms the view lacks makes the site incomplete until they come.
func TestStateClosesOnlyOnEvidence(t *testing.T) {
	type msg struct {
		topic   string
		payload []byte
	}
	for _, tc := range []struct {
		name string
		// after gets the site's generator (A1 raised at seq 1, A2 at 2, a
		// summary listing both at 3, all applied, then a resubscription)
		// and returns what the cluster sends next.
		after          func(t *testing.T, g *gw, recs map[string][]byte) []msg
		wantOpen       []string
		wantIncomplete bool
		wantMissing    int
		wantSites      []string // State.Missing
	}{
		{
			name:           "retained alarms missing after the reconnect: both stay",
			after:          func(*testing.T, *gw, map[string][]byte) []msg { return nil },
			wantOpen:       []string{"lianhua/A1", "lianhua/A2"},
			wantIncomplete: true, // no summary since the resubscription
		},
		{
			name: "only A2's retained state and the retained summary came: both stay, complete",
			after: func(_ *testing.T, g *gw, recs map[string][]byte) []msg {
				return []msg{{g.topics().Summary(), recs["S3"]}, {g.topics().Alarm("A2"), recs["A2"]}}
			},
			wantOpen: []string{"lianhua/A1", "lianhua/A2"},
		},
		{
			name: "a newer summary without A1 closes it; a late copy does not reopen it",
			after: func(t *testing.T, g *gw, recs map[string][]byte) []msg {
				return []msg{{g.topics().Events(), g.summaryWith(t, "A2")}, {g.topics().Alarm("A1"), recs["A1"]}, {g.topics().Events(), recs["A1"]}}
			},
			wantOpen: []string{"lianhua/A2"},
		},
		{
			name: "a summary without A1 older than A1's last record leaves it",
			after: func(t *testing.T, g *gw, recs map[string][]byte) []msg {
				sum := g.summaryWith(t, "A2") // seq 4, taken before A1's ack
				ack := g.alarmRecord(t, countywire.StepAck, lifecycle("A1")[2])
				return []msg{{g.topics().Events(), ack}, {g.topics().Summary(), sum}}
			},
			wantOpen: []string{"lianhua/A1", "lianhua/A2"},
		},
		{
			name: "a summary without the list (a gateway before it) proves nothing",
			after: func(t *testing.T, g *gw, recs map[string][]byte) []msg {
				return []msg{{g.topics().Summary(), g.summaryRecord(t, countywire.Summary{Ready: true})}}
			},
			wantOpen:       []string{"lianhua/A1", "lianhua/A2"},
			wantIncomplete: true,
		},
		{
			name: "a list longer than a gateway sends proves nothing",
			after: func(t *testing.T, g *gw, recs map[string][]byte) []msg {
				long := make([]string, countywire.MaxOpenIDs+1)
				for i := range long {
					long[i] = fmt.Sprintf("X%d", i)
				}
				return []msg{{g.topics().Summary(), g.summaryWith(t, long...)}}
			},
			wantOpen:       []string{"lianhua/A1", "lianhua/A2"},
			wantIncomplete: true,
		},
		{
			name: "an emptied retained alarm/A1 closes it",
			after: func(_ *testing.T, g *gw, recs map[string][]byte) []msg {
				return []msg{{g.topics().Alarm("A1"), nil}, {g.topics().Summary(), recs["S3"]}}
			},
			wantOpen: []string{"lianhua/A2"},
		},
		{
			name: "a summary listing A3 the view lacks: incomplete until A3's retained state comes",
			after: func(t *testing.T, g *gw, recs map[string][]byte) []msg {
				recs["A3"] = g.alarmRecord(t, countywire.StepRaised, lifecycle("A3")[0])
				return []msg{{g.topics().Events(), g.summaryWith(t, "A1", "A2", "A3")}}
			},
			wantOpen:       []string{"lianhua/A1", "lianhua/A2"},
			wantIncomplete: true,
			wantMissing:    1,
			wantSites:      []string{"lianhua"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &gw{site: "lianhua"}
			var changes []Alarm
			s := NewState(testCounty, nil, nil, func(a Alarm) { changes = append(changes, a) }, nil)
			s.BeginResync()
			recs := map[string][]byte{
				"A1": g.alarmRecord(t, countywire.StepRaised, lifecycle("A1")[0]),
				"A2": g.alarmRecord(t, countywire.StepRaised, lifecycle("A2")[0]),
				"S3": g.summaryWith(t, "A1", "A2"),
			}
			tp := g.topics()
			for _, m := range []msg{{tp.Events(), recs["A1"]}, {tp.Alarm("A1"), recs["A1"]}, {tp.Events(), recs["A2"]}, {tp.Events(), recs["S3"]}} {
				if err := s.Apply(m.topic, m.payload); err != nil {
					t.Fatal(err)
				}
			}
			if h := s.Sites()[0]; h.Incomplete || h.OpenAlarms != 2 {
				t.Fatalf("before the reconnect: %+v; want 2 open, complete", h)
			}
			// Cut off and back: a new subscription.
			s.BeginResync()
			for _, m := range tc.after(t, g, recs) {
				if err := s.Apply(m.topic, m.payload); err != nil {
					t.Fatal(err)
				}
			}
			if got := openIDsOf(s); !slices.Equal(got, tc.wantOpen) {
				t.Errorf("open = %v; want %v", got, tc.wantOpen)
			}
			h := s.Sites()[0]
			if h.Incomplete != tc.wantIncomplete || h.MissingAlarms != tc.wantMissing || h.OpenAlarms != len(tc.wantOpen) {
				t.Errorf("health = incomplete %v, missing %d, open %d; want %v, %d, %d",
					h.Incomplete, h.MissingAlarms, h.OpenAlarms, tc.wantIncomplete, tc.wantMissing, len(tc.wantOpen))
			}
			if sites, _ := s.Missing(); !slices.Equal(sites, tc.wantSites) {
				t.Errorf("Missing() = %v; want %v", sites, tc.wantSites)
			}
			for _, a := range changes {
				if a.State.Closed() && slices.Contains(tc.wantOpen, a.ID) {
					t.Errorf("the stream was told %s closed", a.ID)
				}
			}
			if recs["A3"] != nil {
				// The missing alarm's retained state after all.
				if err := s.Apply(tp.Alarm("A3"), recs["A3"]); err != nil {
					t.Fatal(err)
				}
				if h := s.Sites()[0]; h.Incomplete || h.MissingAlarms != 0 || h.OpenAlarms != 3 {
					t.Errorf("after A3's retained state: %+v; want 3 open, complete", h)
				}
			}
		})
	}
}

func openIDsOf(s *State) []string {
	var ids []string
	for _, a := range s.List(Filter{State: alarm.FilterOpen}) {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestStateSweepKeepsAlarmsNotRepeated: after a resubscription the
// cluster repeats only some of the open alarms' retained states, or none
// (NATS while it elects leaders); the sweep once they have had time to
// come keeps every open alarm. Only the site's newer summary, which no
// longer lists A1, closes A1.
func TestStateSweepKeepsAlarmsNotRepeated(t *testing.T) {
	for _, repeated := range [][]string{nil, {"A2"}} {
		g := &gw{site: "lianhua"}
		tp := g.topics()
		s := NewState(testCounty, nil, nil, nil, nil)
		s.BeginResync()
		recs := map[string][]byte{
			"A1": g.alarmRecord(t, countywire.StepRaised, lifecycle("A1")[0]),
			"A2": g.alarmRecord(t, countywire.StepRaised, lifecycle("A2")[0]),
		}
		for _, id := range []string{"A1", "A2"} {
			if err := s.Apply(tp.Events(), recs[id]); err != nil {
				t.Fatal(err)
			}
		}
		epoch := s.BeginResync()
		for _, id := range repeated {
			if err := s.Apply(tp.Alarm(id), recs[id]); err != nil {
				t.Fatal(err)
			}
		}
		if n := s.Sweep(epoch); n != 0 {
			t.Errorf("repeated %v: swept %d", repeated, n)
		}
		if got := openIDsOf(s); !slices.Equal(got, []string{"lianhua/A1", "lianhua/A2"}) {
			t.Errorf("repeated %v: open after the sweep = %v; want both", repeated, got)
		}
		if err := s.Apply(tp.Summary(), g.summaryRecord(t, countywire.Summary{Ready: true, Open: &countywire.OpenAlarms{IDs: []string{"A2"}}})); err != nil {
			t.Fatal(err)
		}
		if got := openIDsOf(s); !slices.Equal(got, []string{"lianhua/A2"}) {
			t.Errorf("repeated %v: open after a summary without A1 = %v; want A2", repeated, got)
		}
	}
}

// TestStateSummaryClosesUnlistedAlarm: a site's summary that no longer
// lists A1, newer than A1's last record, closes A1 whose closing record
// and emptied retained state never came; a late copy of an old record
// does not reopen it; A3, raised after the summary was taken, stays
// although the summary does not list it.
func TestStateSummaryClosesUnlistedAlarm(t *testing.T) {
	g := &gw{site: "lianhua"}
	tp := g.topics()
	s := NewState(testCounty, nil, nil, nil, nil)
	a1 := g.alarmRecord(t, countywire.StepRaised, lifecycle("A1")[0])
	a2 := g.alarmRecord(t, countywire.StepRaised, lifecycle("A2")[0])
	g.seq++ // A1's resolve: lost
	sum := g.summaryRecord(t, countywire.Summary{Ready: true, OpenAlarms: 1, Open: &countywire.OpenAlarms{IDs: []string{"A2"}}})
	a3 := g.alarmRecord(t, countywire.StepRaised, lifecycle("A3")[0])
	for _, m := range []struct {
		topic   string
		payload []byte
	}{{tp.Events(), a1}, {tp.Events(), a2}, {tp.Events(), a3}, {tp.Summary(), sum}, {tp.Alarm("A1"), a1}} {
		if err := s.Apply(m.topic, m.payload); err != nil {
			t.Fatal(err)
		}
	}
	if got := openIDsOf(s); !slices.Equal(got, []string{"lianhua/A2", "lianhua/A3"}) {
		t.Errorf("open = %v; want A2 and A3 (A1 closed by the summary)", got)
	}
}
