package uplink

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

var tp = countywire.Topics{County: testCounty, Site: testSite}

// steps returns the alarm steps of recs for alarm id.
func steps(t *testing.T, recs []countywire.Record, id string) []string {
	t.Helper()
	var out []string
	for _, r := range recs {
		if r.Kind != countywire.KindAlarm {
			continue
		}
		got, _, err := r.Alarm.AlarmRef()
		if err != nil {
			t.Fatal(err)
		}
		if got == id {
			out = append(out, r.Alarm.Step)
		}
	}
	return out
}

// TestOutageResumesInOrder: records queued while the WAN link is cut go
// up in order, none missing, once it returns; the retained state a late
// county view reads has the open alarm and not the closed one.
func TestOutageResumesInOrder(t *testing.T) {
	for _, broker := range []struct {
		name  string
		start func(t *testing.T) string // the broker's MQTT URL
		// reorders: the broker may redeliver a QoS 1 message after a later
		// one (NATS's MQTT redelivers from JetStream when an ack is late),
		// so the county orders by seq; the uplink still sent them in order.
		reorders bool
	}{
		{"mosquitto", func(t *testing.T) string { return testsvc.Mosquitto(t).URL }, false},
		{"nats", natsMQTT, true},
	} {
		t.Run(broker.name, func(t *testing.T) { outageResumesInOrder(t, broker.start(t), broker.reorders) })
	}
}

func outageResumesInOrder(t *testing.T, url string, reorders bool) {
	px := testsvc.NewProxy(t, strings.TrimPrefix(url, "tcp://"))
	cty := watch(t, url)
	u := start(t, px.URL, t.TempDir(), nil)

	u.Alarm(lifecycle("A1", 1))
	testsvc.Eventually(t, waitLong, "the first record at the county", func() bool { return len(cty.unique()) == 1 })
	testsvc.Eventually(t, waitLong, "the first record acknowledged", func() bool { n, _, _ := u.box.backlog(); return n == 0 })

	px.Cut()
	for n := 2; n <= 5; n++ {
		u.Alarm(lifecycle("A1", n))
	}
	for n := 1; n <= 3; n++ {
		u.Alarm(lifecycle("A2", n))
	}
	testsvc.Eventually(t, waitLong, "seven records in the outbox", func() bool { n, _, _ := u.box.backlog(); return n == 7 })
	if got := len(cty.unique()); got != 1 {
		t.Fatalf("records through a cut link: %d, want still 1", got)
	}
	px.Restore()
	testsvc.Eventually(t, waitLong, "every record at the county", func() bool { return len(cty.unique()) == 8 })
	recs := cty.unique()
	if reorders {
		slices.SortFunc(recs, func(a, b countywire.Record) int { return cmp.Compare(a.Seq, b.Seq) })
	}
	inOrder(t, recs)
	want := map[string]string{
		"A1": "raised paged ack arrive resolve",
		"A2": "raised paged ack",
	}
	for id, w := range want {
		if got := strings.Join(steps(t, recs, id), " "); got != w {
			t.Errorf("%s steps: %q, want %q", id, got, w)
		}
	}
	testsvc.Eventually(t, waitLong, "an empty outbox", func() bool { n, _, _ := u.box.backlog(); return n == 0 })

	late := watch(t, url)
	testsvc.Eventually(t, waitLong, "A2's retained state and the status", func() bool {
		_, a2 := late.retainedAt(tp.Alarm("A2"))
		_, st := late.retainedAt(tp.Status())
		return a2 && st
	})
	if b, ok := late.retainedAt(tp.Alarm("A1")); ok && len(b) > 0 {
		t.Errorf("closed alarm A1 still retained: %s", b)
	}
	var st countywire.Status
	b, _ := late.retainedAt(tp.Status())
	if err := json.Unmarshal(b, &st); err != nil || !st.Online {
		t.Errorf("status %s: want online", b)
	}
}

// TestRestartResumesAndResyncs: what was queued while the county was
// unreachable survives a restart and goes up in order; a restart adds no
// record for alarms already told, yet puts back the retained state of
// every open alarm (here one the broker lost).
func TestRestartResumesAndResyncs(t *testing.T) {
	mq := testsvc.Mosquitto(t)
	px := testsvc.NewProxy(t, mq.Addr)
	px.Cut()
	dir := t.TempDir()
	u := start(t, px.URL, dir, nil)
	for n := 1; n <= 3; n++ {
		u.Alarm(lifecycle("A7", n))
	}
	testsvc.Eventually(t, waitLong, "three records in the outbox", func() bool { n, _, _ := u.box.backlog(); return n == 3 })
	u.stop()

	cty := watch(t, mq.URL)
	px.Restore()
	u = start(t, px.URL, dir, nil)
	testsvc.Eventually(t, waitLong, "three records at the county", func() bool { return len(cty.unique()) == 3 })
	inOrder(t, cty.unique())
	testsvc.Eventually(t, waitLong, "A7 retained", func() bool { b, _ := cty.retainedAt(tp.Alarm("A7")); return len(b) > 0 })
	u.Sync([]alarmT{lifecycle("A7", 3)}) // the desk's open alarms at start: nothing new
	u.stop()

	// The broker loses A7's retained state; a restart puts it back.
	if tok := cty.client.Publish(tp.Alarm("A7"), 1, true, []byte{}); !tok.WaitTimeout(waitLong) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	u = start(t, px.URL, dir, nil)
	u.Sync([]alarmT{lifecycle("A7", 3)})
	late := watch(t, mq.URL)
	testsvc.Eventually(t, waitLong, "A7 retained again", func() bool { b, _ := late.retainedAt(tp.Alarm("A7")); return len(b) > 0 })
	// Records sent but not acknowledged before the stop go again, each
	// with its retained state: wait for the outbox to empty before
	// reading the last retained state.
	testsvc.Eventually(t, waitLong, "an empty outbox", func() bool { n, _, _ := u.box.backlog(); return n == 0 })
	testsvc.Eventually(t, waitLong, "A7's retained state settled", func() bool {
		var r countywire.Record
		b, _ := late.retainedAt(tp.Alarm("A7"))
		return json.Unmarshal(b, &r) == nil && r.Seq >= 3
	})
	var r countywire.Record
	b, _ := late.retainedAt(tp.Alarm("A7"))
	if err := json.Unmarshal(b, &r); err != nil || r.Alarm == nil || r.Alarm.Step != countywire.StepAck || r.Seq != 3 {
		t.Errorf("retained A7 %s: want the ack record, seq 3", b)
	}
	if n := len(cty.unique()); n != 3 {
		t.Errorf("records after restarts: %d, want 3 (a restart tells the county nothing new)", n)
	}
}

// fakeRequests acts as the gateway would: cmd1 may, wang may not.
type fakeRequests struct {
	mu      sync.Mutex
	done    []string
	refused []string
}

func (f *fakeRequests) Do(_ context.Context, r countywire.Request) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.By != "cmd1" {
		f.refused = append(f.refused, r.ID)
		return countywire.StatusForbidden, errors.New(r.By + " is grid_member; only security_room, command_center may")
	}
	f.done = append(f.done, r.ID)
	return countywire.StatusOK, nil
}

func (f *fakeRequests) Refused(r countywire.Request, why error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refused = append(f.refused, "shape:"+r.ID)
}

func (f *fakeRequests) counts() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.done), len(f.refused)
}

// TestDownlink: every request is answered on reply with its id; a repeat
// is answered again but done once; malformed, oversize, misshapen and
// forbidden requests are refused, audited and counted.
func TestDownlink(t *testing.T) {
	mq := testsvc.Mosquitto(t)
	reg := prometheus.NewRegistry()
	reqs := &fakeRequests{}
	u := start(t, mq.URL, t.TempDir(), reqs, func(c *Config) { c.Registerer = reg })
	cty := watch(t, mq.URL)
	testsvc.Eventually(t, waitLong, "the uplink online", func() bool { b, _ := cty.retainedAt(tp.Status()); return bytes.Contains(b, []byte(`"online":true`)) })

	ack := []byte(`{"id":"r1","by":"cmd1","action":"ack","alarm_id":"A1"}`)
	cty.request(t, ack)
	cty.request(t, ack)
	cty.request(t, []byte(`{"id":"r2","by":"cmd1","action":"ack","alarm_id":17}`))
	cty.request(t, []byte(`{"id":"r3","by":"cmd1","action":"resolve"}`))
	cty.request(t, []byte(`{"id":"r4","by":"wang","action":"ack","alarm_id":"A1"}`))
	cty.request(t, append([]byte(`{"id":"r5","by":"cmd1","action":"broadcast","grid":"g","text":"`),
		append(bytes.Repeat([]byte("x"), countywire.MaxRequestBytes), '"', '}')...))
	cty.request(t, []byte(`{"id":"r6","by":"cmd1","action":"ack","alarm_id":"A2"}`))

	testsvc.Eventually(t, waitLong, "replies to r1 (twice) and r6", func() bool {
		_, n1 := cty.reply("r1")
		_, n6 := cty.reply("r6")
		return n1 == 2 && n6 == 1
	})
	for _, tc := range []struct {
		id     string
		status int
	}{{"r1", 200}, {"r2", 400}, {"r3", 400}, {"r4", 403}, {"r6", 200}} {
		r, n := cty.reply(tc.id)
		if n == 0 || r.Status != tc.status || r.OK != (tc.status == 200) || (tc.status != 200) != (r.Error != "") {
			t.Errorf("reply to %s: %+v (%d seen), want status %d", tc.id, r, n, tc.status)
		}
	}
	if _, n := cty.reply("r5"); n != 0 {
		t.Errorf("an oversize request was decoded and answered")
	}
	done, refused := reqs.counts()
	if done != 2 || refused != 4 {
		t.Errorf("done %d, refused and audited %d: want 2 (r1 once, r6) and 4 (r2, r3, r4, the oversize one)", done, refused)
	}
	if got := testutil.ToFloat64(u.m.requests.WithLabelValues("400")); got != 3 {
		t.Errorf("requests refused 400: %v, want 3", got)
	}
	if got := testutil.ToFloat64(u.m.requests.WithLabelValues("403")); got != 1 {
		t.Errorf("requests refused 403: %v, want 1", got)
	}
}

// TestNATS: the uplink against a NATS server's MQTT listener (JetStream
// holds retained messages and sessions; no QoS 2): records in order,
// retained alarm and status, a request answered.
func TestNATS(t *testing.T) {
	url := natsMQTT(t)
	reqs := &fakeRequests{}
	cty := watch(t, url)
	u := start(t, url, t.TempDir(), reqs, func(c *Config) {
		c.Summary = func() countywire.Summary { return countywire.Summary{Ready: true, OpenAlarms: 1} }
	})
	for n := 1; n <= 5; n++ {
		u.Alarm(lifecycle("A1", n))
	}
	u.Alarm(lifecycle("A2", 2))
	testsvc.Eventually(t, waitLong, "the alarm records at the county", func() bool { return cty.alarmsSeen(countywire.KindAlarm) == 7 })
	var alarms []countywire.Record
	for _, r := range cty.unique() {
		if r.Kind == countywire.KindAlarm {
			alarms = append(alarms, r)
		}
	}
	for i := 1; i < len(alarms); i++ {
		if alarms[i].Seq <= alarms[i-1].Seq {
			t.Fatalf("out of order: %s after %s", alarms[i].ID, alarms[i-1].ID)
		}
	}
	cty.request(t, []byte(`{"id":"n1","by":"cmd1","action":"ack","alarm_id":"A2"}`))
	testsvc.Eventually(t, waitLong, "the reply", func() bool { r, n := cty.reply("n1"); return n == 1 && r.OK })

	late := watch(t, url)
	testsvc.Eventually(t, waitLong, "retained A2, summary and status for a late view", func() bool {
		_, a2 := late.retainedAt(tp.Alarm("A2"))
		_, s := late.retainedAt(tp.Summary())
		_, st := late.retainedAt(tp.Status())
		return a2 && s && st
	})
	if b, ok := late.retainedAt(tp.Alarm("A1")); ok && len(b) > 0 {
		t.Errorf("closed A1 still retained on NATS: %s", b)
	}
}
