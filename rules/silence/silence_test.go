package silence

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC) // Monday 10:00 China Standard Time

var cst = time.FixedZone("CST", 8*3600)

func TestCompileReportsEveryProblem(t *testing.T) {
	_, err := Compile(Silence{ID: "bad id", From: t0.Add(time.Hour), Until: t0, Every: &Weekly{From: "25:00", Until: "x", Weekdays: []int{7}}})
	for _, w := range []string{`silence bad id: `, `id "bad id"`, "no reason", "no devices, grids or rules", "is not after from",
		`time of day "25:00"`, `"x"`, "weekday 7"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Compile error %v does not say %q", err, w)
		}
	}
}

func TestCovers(t *testing.T) {
	inLH := func(roots []string) bool { return roots[0] == "lh-g4-07" }
	tests := []struct {
		name   string
		s      Silence
		rule   string
		device string
		at     time.Duration
		want   bool
	}{
		{"device", Silence{Devices: []string{"lb-1"}}, "panic", "lb-1", 0, true},
		{"other device", Silence{Devices: []string{"lb-2"}}, "panic", "lb-1", 0, false},
		{"grid", Silence{Grids: []string{"lh-g4-07"}}, "panic", "lb-1", 0, true},
		{"other grid", Silence{Grids: []string{"lh-g4-08"}}, "panic", "lb-1", 0, false},
		{"rule and device both", Silence{Devices: []string{"lb-1"}, Rules: []string{"tamper"}}, "panic", "lb-1", 0, false},
		{"until is exclusive", Silence{Devices: []string{"lb-1"}, Until: t0.Add(time.Minute)}, "panic", "lb-1", time.Minute, false},
		{"from is inclusive", Silence{Devices: []string{"lb-1"}, From: t0.Add(time.Minute)}, "panic", "lb-1", time.Minute, true},
		{"weekly on Monday", Silence{Devices: []string{"lb-1"}, Every: &Weekly{Weekdays: []int{1}, From: "09:30", Until: "10:30"}}, "panic", "lb-1", 0, true},
		{"weekly past midnight from Sunday", Silence{Devices: []string{"lb-1"}, Every: &Weekly{Weekdays: []int{0}, From: "22:00", Until: "11:00"}}, "panic", "lb-1", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.s.ID, tt.s.Reason = "s", "r"
			m, err := Compile(tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Covers(tt.rule, tt.device, t0.Add(tt.at).UnixMilli(), cst, inLH); got != tt.want {
				t.Fatalf("Covers = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCompileKeepsItsOwnCopy: changing the caller's silence afterwards
// changes nothing in force.
func TestCompileKeepsItsOwnCopy(t *testing.T) {
	s := Silence{ID: "s", Reason: "r", Devices: []string{"lb-1"}, Every: &Weekly{Weekdays: []int{1}, From: "09:00", Until: "11:00"}}
	m, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	s.Devices[0], s.Every.Weekdays[0] = "lb-2", 3
	if m.Devices[0] != "lb-1" || m.Every.Weekdays[0] != 1 {
		t.Fatalf("the matcher shares the caller's slices: %+v %+v", m.Silence, *m.Every)
	}
}
