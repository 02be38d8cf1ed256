package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/countywire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// countyHall is a subscriber on the county's broker, as a county view.
type countyHall struct {
	t       *testing.T
	client  paho.Client
	topics  countywire.Topics
	mu      sync.Mutex
	events  []countywire.Record
	replies map[string]countywire.Reply
}

func watchCounty(t *testing.T, url, county, site string) *countyHall {
	t.Helper()
	h := &countyHall{t: t, topics: countywire.Topics{County: county, Site: site}, replies: map[string]countywire.Reply{}}
	h.client = paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("county-hall").SetCleanSession(true))
	if tok := h.client.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("county connect: %v", tok.Error())
	}
	t.Cleanup(func() { h.client.Disconnect(100) })
	for _, topic := range []string{h.topics.Events(), h.topics.Reply()} {
		tok := h.client.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
			h.mu.Lock()
			defer h.mu.Unlock()
			if m.Topic() == h.topics.Reply() {
				var r countywire.Reply
				_ = json.Unmarshal(m.Payload(), &r)
				h.replies[r.ID] = r
				return
			}
			var r countywire.Record
			if err := json.Unmarshal(m.Payload(), &r); err != nil {
				t.Errorf("county event %s: %v", m.Payload(), err)
			}
			h.events = append(h.events, r)
		})
		if !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatalf("county subscribe: %v", tok.Error())
		}
	}
	return h
}

// steps is the alarm records' steps, each record once, in order.
func (h *countyHall) steps() ([]string, []countywire.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	var recs []countywire.Record
	for _, r := range h.events {
		if seen[r.ID] || r.Kind != countywire.KindAlarm {
			continue
		}
		seen[r.ID] = true
		out = append(out, r.Alarm.Step)
		recs = append(recs, r)
	}
	return out, recs
}

// find returns the first record that matches.
func (h *countyHall) find(match func(countywire.Record) bool) (countywire.Record, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.events {
		if match(r) {
			return r, true
		}
	}
	return countywire.Record{}, false
}

func (h *countyHall) ask(body string) countywire.Reply {
	h.t.Helper()
	var req struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal([]byte(body), &req)
	if tok := h.client.Publish(h.topics.Down(), 1, false, []byte(body)); !tok.WaitTimeout(wait) || tok.Error() != nil {
		h.t.Fatalf("county request: %v", tok.Error())
	}
	var r countywire.Reply
	testsvc.Eventually(h.t, wait, "the reply to "+req.ID, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		var ok bool
		r, ok = h.replies[req.ID]
		return ok
	})
	return r
}

// TestUplinkToCounty: a press goes up to the county's broker as its
// lifecycle (raised, paged) with its grid path; the county's requests
// are held to the same permission table as the HTTP API — a grid member
// may not switch emergency mode, a member of another cell may not ack,
// an unknown person may do nothing, a malformed request is refused —
// each refusal answered, audited and counted; the command centre's ack
// stops the local paging and flows back up as the ack step; its emergency
// switch and broadcast go where the HTTP API's do. Presence
// changes and the site summary go up too.
func TestUplinkToCounty(t *testing.T) {
	county := testsvc.Mosquitto(t)
	hall := watchCounty(t, county.URL, "qx", "lianhua")
	s := startSite(t, siteOptions{step1After: 10 * time.Minute, mutate: func(c *config.Config) {
		c.Uplink = config.Uplink{URL: county.URL, County: "qx", ClientID: "gw-lianhua-uplink",
			SummaryEvery: config.MinSummaryEvery, OutboxMaxBytes: config.DefaultOutboxMaxBytes}
	}})
	dev := s.client("lb-0001", true, nil)
	s.press(dev, "lb-0001", 1)

	testsvc.Eventually(t, wait, "raised and paged at the county", func() bool {
		st, _ := hall.steps()
		return strings.HasPrefix(strings.Join(st, " "), "raised paged")
	})
	_, recs := hall.steps()
	a := recs[0].Alarm
	id, closed, err := a.AlarmRef()
	if err != nil || closed {
		t.Fatalf("alarm ref: %v closed=%v", err, closed)
	}
	if strings.Join(a.GridPath, ">") != "lh-g4-07>lianhua>baiyu" || a.GridNames[1] != "莲花社区" || a.DeviceName != "莲花路12号" {
		t.Errorf("county record's grid path %v names %v device %q", a.GridPath, a.GridNames, a.DeviceName)
	}

	for _, tc := range []struct{ name, body, want string }{
		{"grid member, emergency", `{"id":"q1","by":"wang","action":"emergency","grid":"lianhua","on":true}`, "403"},
		{"other cell, ack", fmt.Sprintf(`{"id":"q2","by":"chen","action":"ack","alarm_id":%q}`, id), "403"},
		{"unknown staff", fmt.Sprintf(`{"id":"q3","by":"ghost","action":"resolve","alarm_id":%q}`, id), "403"},
		{"malformed", `{"id":"q4","by":"cmd1","action":"ack","alarm_id":["x"]}`, "400"},
		{"unknown alarm", `{"id":"q5","by":"cmd1","action":"ack","alarm_id":"nope"}`, "404"},
		{"command centre ack", fmt.Sprintf(`{"id":"q6","by":"cmd1","action":"ack","alarm_id":%q,"note":"county on it"}`, id), "200"},
		{"command centre emergency", `{"id":"q7","by":"cmd1","action":"emergency","grid":"lianhua","on":true}`, "200"},
		{"command centre broadcast", `{"id":"q8","by":"cmd1","action":"broadcast","grid":"lianhua","text":"暴雨预警"}`, "200"},
	} {
		r := hall.ask(tc.body)
		if fmt.Sprint(r.Status) != tc.want || r.OK != (tc.want == "200") {
			t.Errorf("%s: reply %+v, want status %s", tc.name, r, tc.want)
		}
	}

	var emerg struct{ Emergencies []alarm.Emergency }
	s.getJSON("/api/v1/emergency", &emerg)
	if len(emerg.Emergencies) != 1 || emerg.Emergencies[0].Scope != "lianhua" || emerg.Emergencies[0].By != "cmd1" {
		t.Errorf("emergencies after the county's switch: %+v", emerg.Emergencies)
	}
	var casts struct{ Broadcasts []struct{ Text, By string } }
	s.getJSON("/api/v1/broadcasts", &casts)
	if len(casts.Broadcasts) != 1 || casts.Broadcasts[0].Text != "暴雨预警" || casts.Broadcasts[0].By != "cmd1" {
		t.Errorf("broadcasts after the county's: %+v", casts.Broadcasts)
	}

	var got alarm.Alarm
	s.getJSON("/api/v1/alarms/"+id, &got)
	if got.State != alarm.Acknowledged || got.NextDeadlineMS != 0 {
		t.Errorf("after the county's ack: state %s, next deadline %d; want acknowledged, nothing due", got.State, got.NextDeadlineMS)
	}
	testsvc.Eventually(t, wait, "the ack step at the county", func() bool {
		st, _ := hall.steps()
		return strings.HasPrefix(strings.Join(st, " "), "raised paged") && slices.Contains(st, countywire.StepAck)
	})

	// The press brought lb-0001 online; the summary counts the open alarm.
	testsvc.Eventually(t, wait, "lb-0001 online and a summary with the open alarm", func() bool {
		_, online := hall.find(func(r countywire.Record) bool {
			return r.Kind == countywire.KindPresence && r.Presence.Device == "lb-0001" && r.Presence.Online && r.Presence.Grid == "lh-g4-07"
		})
		_, summary := hall.find(func(r countywire.Record) bool {
			return r.Kind == countywire.KindSummary && r.Summary.OpenAlarms == 1 && r.Summary.Ready && r.Summary.DevicesOnline >= 1
		})
		return online && summary
	})

	var audit struct{ Records []alarm.AuditRecord }
	s.getJSON("/api/v1/audit", &audit)
	audited := map[string]alarm.AuditRecord{}
	for _, r := range audit.Records {
		if r.Kind == "county" {
			audited[strings.TrimSuffix(strings.Fields(r.Reason + " x")[1], ":")] = r
		}
	}
	for _, q := range []string{"q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"} {
		r, ok := audited[q]
		if !ok {
			t.Errorf("request %s not audited (audit: %+v)", q, audit.Records)
			continue
		}
		if refused := strings.Contains(r.Reason, "refused"); refused != (q < "q6") {
			t.Errorf("audit of %s: %+v", q, r)
		}
	}
	m := s.metrics()
	for _, want := range []string{`gridwatch_uplink_requests_total{status="403"} 3`, `gridwatch_uplink_requests_total{status="400"} 1`,
		`gridwatch_uplink_requests_total{status="200"} 3`, "gridwatch_uplink_connected 1", "gridwatch_uplink_backlog_records"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
