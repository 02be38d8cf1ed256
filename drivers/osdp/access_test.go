package osdp

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/serialline"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
	"github.com/gridwatch/gridwatch/drivers/wiegand"
	"github.com/gridwatch/gridwatch/gateway/event"
)

func testDoor() *Door {
	return &Door{LockTime: 3 * time.Second, Cards: []CardRule{
		{Facility: 68, Card: "41551"},
		{Facility: 90, Card: "324", Block: true},
		{Facility: 99, Card: "999", Until: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Facility: 1, Card: "7", From: time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)},
	}}
}

func TestDoorDecide(t *testing.T) {
	d := testDoor()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		fc   int
		card string
		want Decision
	}{
		{68, "41551", Decision{Grant: true}},
		{67, "41551", Decision{Reason: DenyUnknown}}, // right number, wrong facility
		{90, "324", Decision{Reason: DenyBlocked}},
		{99, "999", Decision{Reason: DenyExpired}},
		{1, "7", Decision{Reason: DenyNotValid}},
		{5, "5", Decision{Reason: DenyUnknown}},
	} {
		if got := d.Decide(Card{Facility: tc.fc, Number: tc.card}, now); got != tc.want {
			t.Errorf("%d:%s = %+v, want %+v", tc.fc, tc.card, got, tc.want)
		}
	}
	bad := &Door{LockTime: -time.Second, Cards: []CardRule{{Card: "12a"}, {Card: "1", Facility: 70000},
		{Card: "2", From: now, Until: now.Add(-time.Hour)}}}
	errs := bad.validate()
	var all []string
	for _, e := range errs {
		all = append(all, e.Error())
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{"lock_time -1s", `card "12a"`, "facility 70000", "is before from"} {
		if !strings.Contains(joined, want) {
			t.Errorf("door errors do not say %q:\n%s", want, joined)
		}
	}
}

// TestAccessAtTheDoor: a known card is granted, with the green LED, one
// beep and the lock pulsed for the lock time seen by the simulated PD; an
// unknown, blocked or expired card is denied with the reason, a red LED
// and a double beep.
func TestAccessAtTheDoor(t *testing.T) {
	r := startRig(t, []int{1, 2}, 115200, func(c *Config) { c.PDs[0].Door = testDoor() })
	pd := r.sim.PD(1)
	if err := pd.SwipeCard(wiegand.H10301, 68, 41551); err != nil {
		t.Fatal(err)
	}
	eventually(t, "grant and lock pulse", func() bool {
		o := pd.Observed()
		return len(r.sink.find(dev(1), event.AccessGranted)) == 1 && len(o.OutCmds) == 1 && len(o.LEDs) == 1 && len(o.Buzzes) == 1
	})
	o := pd.Observed()
	if out := o.OutCmds[0]; out != (wire.OutputControl{Output: 0, Code: wire.OutPulseOn, Timer: 30}) {
		t.Fatalf("lock command %+v, want output 0 pulsed for 3 s", out)
	}
	if l := o.LEDs[0].Temporary; l.OnColor != wire.ColorGreen || l.Timer != 30 || o.Buzzes[0].Count != 1 {
		t.Fatalf("grant LED %+v buzz %+v", l, o.Buzzes[0])
	}
	if c := r.sink.find(dev(1), event.AccessGranted)[0].Data["card"]; c != "41551" {
		t.Fatalf("granted card %v", c)
	}
	for i, sw := range []struct {
		fc, card uint32
		reason   string
	}{{1, 2, DenyUnknown}, {90, 324, DenyBlocked}, {99, 999, DenyExpired}} {
		if err := pd.SwipeCard(wiegand.H10301, sw.fc, sw.card); err != nil {
			t.Fatal(err)
		}
		eventually(t, "denial "+sw.reason, func() bool {
			return len(r.sink.find(dev(1), event.AccessDenied)) == i+1 && len(pd.Observed().Buzzes) == i+2
		})
		ev := r.sink.find(dev(1), event.AccessDenied)[i]
		if ev.Data["reason"] != sw.reason || ev.Data["card"] != strconv.FormatUint(uint64(sw.card), 10) {
			t.Fatalf("denial %v, want reason %s", ev.Data, sw.reason)
		}
		o := pd.Observed()
		if l := o.LEDs[len(o.LEDs)-1].Temporary; l.OnColor != wire.ColorRed || o.Buzzes[len(o.Buzzes)-1].Count != 2 {
			t.Fatalf("denial LED %+v buzz %+v", l, o.Buzzes[len(o.Buzzes)-1])
		}
		if len(o.OutCmds) != 1 {
			t.Fatalf("a denied card moved the lock: %+v", o.OutCmds)
		}
	}
	// A reader without a door reports the card and decides nothing.
	if err := r.sim.PD(2).SwipeCard(wiegand.H10301, 68, 41551); err != nil {
		t.Fatal(err)
	}
	eventually(t, "card at PD 2", func() bool { return len(r.sink.find(dev(2), CardRead)) == 1 })
	if len(r.sink.find(dev(2), event.AccessGranted))+len(r.sink.find(dev(2), event.AccessDenied)) != 0 {
		t.Fatal("a reader without a door made a decision")
	}
}

// grantAll is a Decider standing in for the registry.
type grantAll struct{ asked []string }

func (g *grantAll) Decide(device string, c Card, _ time.Time) Decision {
	g.asked = append(g.asked, device+"/"+c.Number)
	return Decision{Grant: true}
}

func TestDeciderOverridesDoors(t *testing.T) {
	g := &grantAll{}
	b, err := New(Config{Line: serialline.Line{Port: "/dev/null"}, PDs: []PDConfig{{Device: "rd-9", Address: 9, Door: testDoor()}}}, &collector{}, Options{Decider: g})
	if err != nil {
		t.Fatal(err)
	}
	p := b.pds[0]
	b.decide(p, Card{Facility: 1, Number: "2"})
	if len(g.asked) != 1 || g.asked[0] != "rd-9/2" || len(p.pending) != 3 {
		t.Fatalf("asked %v, pending %d commands", g.asked, len(p.pending))
	}
	for range 5 {
		b.decide(p, Card{Facility: 1, Number: "2"})
	}
	if len(p.pending) != maxPending {
		t.Fatalf("%d commands queued, want the bound %d", len(p.pending), maxPending)
	}
}
