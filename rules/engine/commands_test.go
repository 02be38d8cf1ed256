package engine

import (
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/rulefile"
	"github.com/gridwatch/gridwatch/rules/silence"
)

func TestDuressMayNotCommandTheBox(t *testing.T) {
	for _, typ := range []string{event.ButtonDuress, "button.*"} {
		r := rulefile.Rule{ID: "d", Types: []string{typ}, Severity: event.Red, Title: "t",
			Commands: []rulefile.CommandSpec{{To: rulefile.ToSelf, Cmd: "strobe"}}}
		if _, err := New([]rulefile.Rule{r}); err == nil || !strings.Contains(err.Error(), "silent panic") {
			t.Errorf("types %s: strobe on duress: error %v", typ, err)
		}
	}
	r := rulefile.Rule{ID: "d", Types: []string{"x.y"}, Severity: event.Red, Title: "t",
		Commands: []rulefile.CommandSpec{{To: "neighbours", Cmd: ""}}}
	_, err := New([]rulefile.Rule{r})
	for _, w := range []string{`to "neighbours"`, `cmd ""`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not say %q", err, w)
		}
	}
}

func TestMutedRaiseSendsNoCommandsTestModeDoes(t *testing.T) {
	reg := testRegistry(t)
	lb1, _ := reg.Device("lb-0001")
	for _, tt := range []struct {
		test, sirens bool
		want         int
	}{{false, false, 0}, {true, false, 2}, {true, true, 3}} { // test mode: strobe and clip; siren when asked
		e, err := Compile(Config{Rules: rulefile.Builtin(), Registry: func() *registry.Registry { return reg },
			Operators: operators(t, silence.Silence{ID: "s", Reason: "r", Devices: []string{"lb-0001"}, Test: tt.test, Sirens: tt.sirens})})
		if err != nil {
			t.Fatal(err)
		}
		ev := event.Event{Device: "lb-0001", Type: event.ButtonPressed, Received: at(0)}
		got := e.Evaluate(&ev, lb1, nil)
		if len(got) != 1 || got[0].Muted == "" || len(got[0].Commands) != tt.want {
			t.Fatalf("test mode %v: %+v, want muted with %d commands", tt.test, got, tt.want)
		}
	}
}
