package county

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/mqttconn"
	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestTrackerJudges: the measuring side counts a duplicate, a record
// older than one already received, and an acknowledged record never
// received — the figures the run is judged by.
func TestTrackerJudges(t *testing.T) {
	tr := newTracker(0)
	rec := func(site string, seq uint64) countywire.Record {
		return countywire.Record{ID: countywire.MakeID(site, seq), Site: site, Seq: seq, Kind: countywire.KindSummary}
	}
	payload := func(r countywire.Record) []byte { b, _ := json.Marshal(r); return b }
	for _, r := range []countywire.Record{rec("a", 1), rec("a", 2), rec("a", 3), rec("a", 4), rec("b", 1)} {
		tr.sending(r, false)
		tr.acked(r, false)
	}
	now := time.Now()
	for _, r := range []countywire.Record{rec("a", 1), rec("a", 3), rec("a", 2), rec("a", 3), rec("b", 1)} {
		tr.receive(now, payload(r))
	}
	tr.receive(now, []byte("{nope"))
	var res Result
	res.fill(tr, Config{}, time.Second)
	want := Result{Acked: 5, Received: 4, Lost: 1, Duplicates: 1, OutOfOrder: 1, Bad: 1}
	if res.Acked != want.Acked || res.Received != want.Received || res.Lost != want.Lost ||
		res.Duplicates != want.Duplicates || res.OutOfOrder != want.OutOfOrder || res.Bad != want.Bad {
		t.Fatalf("got acked %d received %d lost %d dups %d ooo %d bad %d, want %+v",
			res.Acked, res.Received, res.Lost, res.Duplicates, res.OutOfOrder, res.Bad, want)
	}
	if len(res.LostIDs) != 1 || res.LostIDs[0] != "a:4" {
		t.Fatalf("lost ids %v, want [a:4]", res.LostIDs)
	}
	if err := res.Check(); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("Check = %v, want ErrIncomplete", err)
	}
}

// TestSimOnNATSCluster is the short variant of `gridsim county`: 30 sites
// on a real 3-node NATS cluster, spread over its nodes, a burst of 20
// presses, every lifecycle step and summary; the subscriber must get
// every acknowledged record, in order per site.
func TestSimOnNATSCluster(t *testing.T) {
	c := testsvc.NATSCluster(t, 3)
	sim, err := New(Config{
		Dial: mqttconn.Dial{ConnectTimeout: 30 * time.Second, AckTimeout: 30 * time.Second}, Brokers: c.MQTTURLs(),
		County: "qx", Sites: 30, Duration: 8 * time.Second, BurstAt: 3 * time.Second, BurstPresses: 20,
		SummaryEvery: 2 * time.Second, StepEvery: 500 * time.Millisecond, AlarmsPerHour: 3600, PresencePerHour: 7200,
		Drain: 60 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := sim.Run(ctx, Proc{Name: "nats-n1", PID: c.Nodes[0].PID()})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	_ = res.WriteText(&out)
	t.Log("\n" + out.String())
	if err := res.Check(); err != nil {
		t.Fatal(err)
	}
	if res.BurstReceived != 20 {
		t.Errorf("burst: received %d of 20", res.BurstReceived)
	}
	for _, k := range []string{countywire.KindAlarm, countywire.KindSummary, countywire.KindPresence} {
		if res.ByKind[k] == 0 {
			t.Errorf("no %s records sent: %v", k, res.ByKind)
		}
	}
	// 20 burst alarms, each raised and walked through 5 more steps.
	if res.ByKind[countywire.KindAlarm] < 20*6 {
		t.Errorf("alarm records %d, want at least %d", res.ByKind[countywire.KindAlarm], 20*6)
	}
	if len(res.Procs) != 1 || res.Procs[0].Err != "" || res.Procs[0].RSSMB == 0 {
		t.Errorf("nats-n1 usage: %+v", res.Procs)
	}
}

// TestAlarmStateIsTheGatewaysShape: the state each lifecycle step carries
// decodes as the gateway's alarm (rules/alarm), which is what a county view
// reads — with the state and timeline a real alarm would have after it.
func TestAlarmStateIsTheGatewaysShape(t *testing.T) {
	a := &openAlarm{id: "a-1", grid: "s001-g5-01", dev: "lb-01-1", raised: 1_800_000_000_000}
	want := map[string]alarm.State{
		countywire.StepRaised: alarm.Open, countywire.StepPaged: alarm.Open, countywire.StepDelivered: alarm.Open,
		countywire.StepAck: alarm.Acknowledged, countywire.StepArrive: alarm.OnScene, countywire.StepResolve: alarm.Resolved,
	}
	for i, step := range append([]string{countywire.StepRaised}, lifecycle...) {
		b, err := json.Marshal(a.after(step, 1_800_000_000_000+int64(i)*1000))
		if err != nil {
			t.Fatal(err)
		}
		var got alarm.Alarm
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%s: %s does not decode as the gateway's alarm: %v", step, b, err)
		}
		if got.ID != "a-1" || got.Device != "lb-01-1" || got.State != want[step] || got.Timeline[0].Kind != alarm.EntryRaised {
			t.Errorf("%s: %+v, want state %s", step, got, want[step])
		}
	}
}
