package escalate

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestOnEmergencyToldEveryStoredSwitch: the hook hears each stored switch
// with every scope on after it (the county uplink's cue), and not a
// refused one.
func TestOnEmergencyToldEveryStoredSwitch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var told [][]alarm.Emergency
		var switched []alarm.Emergency
		r := startRig(t, t.TempDir()+"/alarms.db", newNotifier(), new(uint64), func(c *Config) {
			c.OnEmergency = func(sw alarm.Emergency, on []alarm.Emergency) {
				switched = append(switched, sw)
				told = append(told, on)
			}
		})
		defer r.stop()
		ctx := context.Background()
		scopes := func(i int) []string {
			var out []string
			for _, e := range told[i] {
				out = append(out, e.Scope+"/"+e.By)
			}
			return out
		}
		steps := []struct {
			scope, by string
			on, ok    bool
			want      []string
		}{
			{"lh-g4-08", "room1", true, true, []string{"lh-g4-08/room1"}},
			{"lianhua", "wang", true, false, nil}, // refused: not told
			{"lh-g4-07", "room1", true, true, []string{"lh-g4-07/room1", "lh-g4-08/room1"}},
			{"lh-g4-08", "room1", false, true, []string{"lh-g4-07/room1"}},
			{"lh-g4-07", "room1", false, true, nil},
		}
		n := 0
		for _, s := range steps {
			err := r.desk.SetEmergency(ctx, s.scope, s.on, permit.Staff(s.by))
			if (err == nil) != s.ok {
				t.Fatalf("%s on=%v by %s: %v", s.scope, s.on, s.by, err)
			}
			if !s.ok {
				if len(told) != n {
					t.Fatalf("a refused switch was told: %v", told[n:])
				}
				continue
			}
			if len(told) != n+1 {
				t.Fatalf("%s on=%v: told %d times, want %d", s.scope, s.on, len(told), n+1)
			}
			if got := scopes(n); !slices.Equal(got, s.want) {
				t.Fatalf("%s on=%v: told %v, want %v", s.scope, s.on, got, s.want)
			}
			if sw := switched[n]; sw.Scope != s.scope || sw.On != s.on || sw.By != s.by || sw.At == 0 {
				t.Fatalf("%s on=%v by %s: told the switch %+v", s.scope, s.on, s.by, sw)
			}
			n++
		}
	})
}
