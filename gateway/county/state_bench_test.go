package county

import (
	"fmt"
	"testing"
)

// BenchmarkApplyAlarmRecord measures the view taking one alarm record of
// the event stream (decode, dedupe, apply), over 300 sites.
func BenchmarkApplyAlarmRecord(b *testing.B) {
	const sites = 300
	gws := make([]*gw, sites)
	topics := make([]string, sites)
	for i := range gws {
		gws[i] = &gw{site: fmt.Sprintf("site-%03d", i)}
		topics[i] = gws[i].topics().Events()
	}
	life := lifecycle("A1")
	recs := make([][]byte, 0, 4096)
	for n := range 4096 {
		g := gws[n%sites]
		a := life[n/sites%3]
		a.ID = fmt.Sprintf("A%d", n/sites/3)
		recs = append(recs, g.alarmRecord(b, steps[n/sites%3], a))
	}
	var s *State
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := i % len(recs)
		if n == 0 { // a fresh view: every record is new to it
			b.StopTimer()
			s = NewState(testCounty, nil, nil, nil, nil)
			b.StartTimer()
		}
		if err := s.Apply(topics[n%sites], recs[n]); err != nil {
			b.Fatal(err)
		}
	}
}
