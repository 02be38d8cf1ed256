package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/gateway/uplink"
	"github.com/gridwatch/gridwatch/internal/testsite"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// countyEvents keeps every record a county subscriber receives, in order.
type countyEvents struct {
	mu   sync.Mutex
	recs []countywire.Record
}

// byAlarm is each alarm's steps, every record id once, in the order first
// received, and its latest state; it fails the test on a seq that goes
// back.
func (c *countyEvents) byAlarm(t *testing.T) (map[string][]string, map[string]alarm.Alarm) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]bool{}
	out := map[string][]string{}
	states := map[string]alarm.Alarm{}
	var last uint64
	for _, r := range c.recs {
		if seen[r.ID] {
			continue // a duplicate: the county drops it
		}
		seen[r.ID] = true
		if r.Seq <= last {
			t.Fatalf("record %s after seq %d: out of order", r.ID, last)
		}
		last = r.Seq
		if r.Kind != countywire.KindAlarm {
			continue
		}
		id, _, err := r.Alarm.AlarmRef()
		if err != nil {
			t.Fatal(err)
		}
		out[id] = append(out[id], r.Alarm.Step)
		var a alarm.Alarm
		if err := json.Unmarshal(r.Alarm.State, &a); err != nil {
			t.Fatal(err)
		}
		states[id] = a
	}
	return out, states
}

// TestUplinkSurvivesKill9: presses while the county link is up and while
// it is cut, a kill -9 of the gateway straight after the last PUBACK, a
// restart with the link still cut, then the link back: the county has
// every lifecycle step of every alarm, in order, none told twice
// (duplicates only as ids it drops), and each alarm's state as the
// gateway has it now. (A change the desk showed but had not stored when
// it was killed may be set back by the restart's replay; the county then
// gets a "changed" step with the state as it is.)
func TestUplinkSurvivesKill9(t *testing.T) {
	county := testsvc.Mosquitto(t)
	px := testsvc.NewProxy(t, county.Addr)
	d := newDaemon(t)
	var devs string
	for i := 1; i <= 4; i++ {
		devs += testsite.Lightbox(fmt.Sprintf("lb-%04d", i), fmt.Sprintf("路%d号", i), "")
	}
	d.writeRegistry(testsite.Cell + devs)
	d.addConfig(fmt.Sprintf("uplink: {url: %q, county: qx, summary_every: 5s}\n", px.URL))

	got := &countyEvents{}
	tp := countywire.Topics{County: "qx", Site: "lianhua"}
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(county.URL).SetClientID("county").SetOrderMatters(true))
	if tok := sub.Connect(); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer sub.Disconnect(100)
	if tok := sub.Subscribe(tp.Events(), 1, func(_ paho.Client, m paho.Message) {
		var r countywire.Record
		if err := json.Unmarshal(m.Payload(), &r); err != nil {
			t.Errorf("record %s: %v", m.Payload(), err)
			return
		}
		got.mu.Lock()
		got.recs = append(got.recs, r)
		got.mu.Unlock()
	}); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}

	gw := d.start()
	dev := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + d.mqttAddr).SetClientID("presser").SetAutoReconnect(false))
	if tok := dev.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	press := func(i int) {
		t.Helper()
		tok := dev.Publish(fmt.Sprintf("gridwatch/v1/dev/lb-%04d/evt", i), 1, false,
			fmt.Sprintf(`{"type":"button.pressed","seq":1,"ts":%d}`, time.Now().UnixMilli()))
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("no PUBACK: %v", tok.Error())
		}
	}
	press(1)
	press(2)
	testsvc.Eventually(t, 30*time.Second, "the first alarms at the county", func() bool { steps, _ := got.byAlarm(t); return len(steps) == 2 })
	px.Cut()
	press(3)
	press(4)
	// Their records are on disk, unsent (raised and paged of each).
	testsvc.Eventually(t, 30*time.Second, "a backlog of four records", func() bool { return backlog(d.httpAddr) >= 4 })
	if err := gw.Process.Kill(); err != nil { // SIGKILL, straight after the PUBACK
		t.Fatal(err)
	}
	_, _ = gw.Process.Wait()
	dev.Disconnect(0)

	d.start()
	px.Restore()
	testsvc.Eventually(t, 60*time.Second, "every step of every alarm at the county", func() bool {
		resp, err := http.Get("http://" + d.httpAddr + "/api/v1/alarms?state=all")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var list struct{ Alarms []alarm.Alarm }
		if json.NewDecoder(resp.Body).Decode(&list) != nil || len(list.Alarms) != 4 {
			return false
		}
		county, states := got.byAlarm(t)
		for _, listed := range list.Alarms {
			var a alarm.Alarm // the list leaves the timeline out
			if !getJSON("http://"+d.httpAddr+"/api/v1/alarms/"+listed.ID, &a) {
				return false
			}
			want := uplink.Steps(-1, a, false)
			told := slices.DeleteFunc(slices.Clone(county[a.ID]), func(s string) bool { return s == countywire.StepChanged })
			if len(told) < len(want) || !slices.Equal(told[:len(want)], want) || states[a.ID].State != a.State ||
				len(states[a.ID].Timeline) != len(a.Timeline) {
				t.Logf("%s: county has %s (state %s, %d entries), the gateway %s (state %s)", a.ID, strings.Join(county[a.ID], " "),
					states[a.ID].State, len(states[a.ID].Timeline), strings.Join(want, " "), a.State)
				return false
			}
			if slices.Contains(told, countywire.StepRaised) && slices.Index(told[1:], countywire.StepRaised) >= 0 {
				t.Errorf("%s raised twice at the county: %v", a.ID, county[a.ID])
			}
		}
		return true
	})
}

func getJSON(url string, v any) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(v) == nil
}

// backlog is the gateway's gridwatch_uplink_backlog_records (-1 unknown).
func backlog(httpAddr string) int {
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "gridwatch_uplink_backlog_records "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return int(n)
			}
		}
	}
	return -1
}
