package app_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

const wait = 20 * time.Second // generous: the machine may be busy

func TestPanicPressEmbeddedBroker(t *testing.T) {
	s := startSite(t, siteOptions{})
	panicPressScenario(t, s)
}

func TestPanicPressExternalMosquitto(t *testing.T) {
	mq := testsvc.Mosquitto(t)
	s := startSite(t, siteOptions{external: mq.URL})
	panicPressScenario(t, s)

	// Telemetry comes in on the gateway's second connection.
	dev := s.client("lb-0002-tel", true, nil)
	s.publish(dev, s.topics.Telemetry("lb-0002"), []byte(`{"battery_v":11.9,"mains":false}`))
	testsvc.Eventually(t, wait, "telemetry through the external broker", func() bool {
		var list struct{ Devices []devices.Status }
		s.getJSON("/api/v1/devices", &list)
		for _, d := range list.Devices {
			if d.ID == "lb-0002" && d.Telemetry["battery_v"] == 11.9 {
				return true
			}
		}
		return false
	})
}

// panicPressScenario presses lb-0001 (cell lh-g4-07) and checks that step 0
// reaches exactly the grid member of that cell and the community's security
// room, with every field of the contract; that a repeat joins the alarm;
// that an MQTT ack and an HTTP resolve walk its lifecycle; and that the
// retained board state follows.
func panicPressScenario(t *testing.T, s *site) {
	phones := s.phones(allStaff...)
	dev := s.client("lb-0001", true, nil)
	before := time.Now().UnixMilli()
	s.press(dev, "lb-0001", 1)

	testsvc.Eventually(t, wait, "wang and room1 paged", func() bool {
		return len(phones["wang"].all()) == 1 && len(phones["room1"].all()) == 1
	})
	n := phones["wang"].all()[0]
	if n.Rule == "" || n.Severity != event.Red || n.Title == "" || n.Device != "lb-0001" || n.Grid != "lh-g4-07" ||
		n.Step != 0 || n.AlarmID == "" || n.Location == nil || n.Location.Lat != 33.30 {
		t.Errorf("notification lacks contract fields: %+v", n)
	}
	if n.RaisedMS < before || n.EventMS < before || n.DeadlineMS <= n.RaisedMS {
		t.Errorf("times: raised %d event %d deadline %d (pressed at %d)", n.RaisedMS, n.EventMS, n.DeadlineMS, before)
	}
	if r := phones["room1"].all()[0]; r.AlarmID != n.AlarmID {
		t.Errorf("room1 got alarm %s, wang %s", r.AlarmID, n.AlarmID)
	}

	// A second press while it is open joins the alarm and pages nobody.
	s.press(dev, "lb-0001", 2)
	var a alarm.Alarm
	testsvc.Eventually(t, wait, "second press joins", func() bool {
		s.getJSON("/api/v1/alarms/"+n.AlarmID, &a)
		return a.Count == 2
	})

	// The retained board carries the open alarm.
	board := make(chan []byte, 8)
	b := s.client("board", true, nil)
	b.Subscribe(s.topics.Alarm(n.AlarmID), 1, func(_ paho.Client, m paho.Message) { board <- m.Payload() })
	select {
	case p := <-board:
		if !strings.Contains(string(p), n.AlarmID) {
			t.Errorf("retained board state: %s", p)
		}
	case <-time.After(wait):
		t.Error("no retained board state for the open alarm")
	}

	// wang acknowledges from the phone.
	phone := s.client("wang-reply", true, nil)
	s.publish(phone, s.topics.Reply("wang"), fmt.Appendf(nil, `{"alarm_id":%q,"action":"ack","note":"在路上"}`, n.AlarmID))
	testsvc.Eventually(t, wait, "acknowledged", func() bool {
		s.getJSON("/api/v1/alarms/"+n.AlarmID, &a)
		return a.State == alarm.Acknowledged
	})
	// The security room resolves over HTTP (loopback, auth off: body names who).
	if code, body := s.post("/api/v1/alarms/"+n.AlarmID+"/resolve", `{"note":"误报","by":"room1"}`); code != 200 {
		t.Fatalf("resolve: %d %s", code, body)
	}
	s.getJSON("/api/v1/alarms/"+n.AlarmID, &a)
	kinds := []alarm.EntryKind{}
	for _, e := range a.Timeline {
		kinds = append(kinds, e.Kind)
	}
	for _, want := range []alarm.EntryKind{alarm.EntryRaised, alarm.EntryNotified, alarm.EntryJoined, alarm.EntryAck, alarm.EntryResolve} {
		if !slices.Contains(kinds, want) {
			t.Errorf("timeline lacks %q: %v", want, kinds)
		}
	}
	if a.State != alarm.Resolved {
		t.Errorf("state %s, want resolved", a.State)
	}
	var open struct{ Alarms []alarm.Alarm }
	s.getJSON("/api/v1/alarms?state=open", &open)
	if len(open.Alarms) != 0 {
		t.Errorf("open alarms after resolve: %+v", open.Alarms)
	}
	cleared := false
	for deadline := time.After(wait); !cleared; {
		select {
		case p := <-board: // every change is published; the last must clear it
			cleared = len(p) == 0
		case <-deadline:
			t.Fatal("retained board state not cleared on resolve")
		}
	}

	// Only wang and room1 were ever paged: step 1 is an hour away here.
	for _, id := range allStaff {
		want := 0
		if id == "wang" || id == "room1" {
			want = 1
		}
		if got := len(phones[id].all()); got != want {
			t.Errorf("%s got %d notifications, want %d", id, got, want)
		}
	}
}

func TestLaterStepFiresOnDeadlineUnlessAcknowledged(t *testing.T) {
	s := startSite(t, siteOptions{step1After: 1500 * time.Millisecond})
	phones := s.phones(allStaff...)
	dev := s.client("lb-0002", true, nil)
	s.press(dev, "lb-0002", 1)
	testsvc.Eventually(t, wait, "step 1 to the leader and police", func() bool {
		return len(phones["zhao"].all()) == 1 && len(phones["li"].all()) == 1
	})
	if n := phones["zhao"].all()[0]; n.Step != 1 {
		t.Errorf("zhao got step %d, want 1", n.Step)
	}
	if got := len(phones["wang"].all()); got != 1 {
		t.Errorf("wang paged %d times, want once (no re-page at step 1)", got)
	}

	// A press acknowledged before its deadline never reaches step 1.
	dev3 := s.client("lb-0003", true, nil)
	s.press(dev3, "lb-0003", 1)
	testsvc.Eventually(t, wait, "chen paged", func() bool { return len(phones["chen"].all()) == 1 })
	id := phones["chen"].all()[0].AlarmID
	if code, body := s.post("/api/v1/alarms/"+id+"/ack", `{"by":"chen"}`); code != 200 {
		t.Fatalf("ack: %d %s", code, body)
	}
	time.Sleep(3 * time.Second) // past the 1.5 s deadline
	for _, n := range phones["zhao"].all() {
		if n.AlarmID == id {
			t.Errorf("step 1 fired for an acknowledged alarm: %+v", n)
		}
	}
}

func TestBadInputDoesNotStopGoodInput(t *testing.T) {
	s := startSite(t, siteOptions{})
	phones := s.phones("wang")
	dev := s.client("lb-0001", true, nil)
	ghost := s.client("lb-9999", true, nil)
	// Just over ingest.max_payload: the broker takes the packet (it is
	// within mqtt.embedded.max_packet_size) and ingest refuses it. A
	// packet over max_packet_size closes the connection instead (see
	// gateway/broker).
	huge := make([]byte, config.DefaultMaxPayload+1)
	for i := range huge {
		huge[i] = 'x'
	}
	s.publish(dev, s.topics.Event("lb-0001"), []byte(`{"type": "button.pressed", `)) // malformed
	s.publish(dev, s.topics.Event("lb-0001"), []byte(`{"type": 42}`))                // wrong type
	s.publish(dev, s.topics.Telemetry("lb-0001"), []byte(`{"battery_v": "high"}`))   // string is allowed in telemetry
	s.publish(dev, s.topics.Telemetry("lb-0001"), []byte(`{"battery_v": [1]}`))      // wrong type
	s.publish(dev, s.topics.Event("lb-0001"), huge)                                  // max_payload + 1
	s.publish(ghost, s.topics.Event("lb-9999"), []byte(`{"type":"button.pressed"}`)) // unknown device

	s.press(dev, "lb-0001", 7)
	testsvc.Eventually(t, wait, "the good press still pages", func() bool { return len(phones["wang"].all()) == 1 })

	m := s.metrics()
	for _, want := range []string{
		`gridwatch_ingest_rejected_total{reason="malformed",transport="embedded"} 1`,
		`gridwatch_ingest_rejected_total{reason="bad_type",transport="embedded"} 2`,
		`gridwatch_ingest_rejected_total{reason="oversize",transport="embedded"} 1`,
		`gridwatch_ingest_rejected_total{reason="unknown_device",transport="embedded"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	var list struct{ Devices []devices.Status }
	s.getJSON("/api/v1/devices", &list)
	var ghostSeen, goodSeen bool
	for _, d := range list.Devices {
		switch d.ID {
		case "lb-9999":
			ghostSeen = !d.Registered && d.State == "unregistered"
		case "lb-0001":
			goodSeen = d.Registered && d.State == "online" && d.Telemetry["battery_v"] == "high"
		}
	}
	if !ghostSeen || !goodSeen {
		t.Errorf("devices: unregistered lb-9999 listed %v, lb-0001 online with telemetry %v: %+v", ghostSeen, goodSeen, list.Devices)
	}
}

func TestTelemetryLandsInInfluxDB(t *testing.T) {
	influx := testsvc.InfluxDB(t)
	s := startSite(t, siteOptions{influx: influx})
	dev := s.client("lb-0001", true, nil)
	ts := time.Now().Add(-time.Minute).UnixMilli()
	s.publish(dev, s.topics.Telemetry("lb-0001"), fmt.Appendf(nil, `{"ts":%d,"battery_v":12.4,"mains":true,"rssi_dbm":-71}`, ts))
	var rows []map[string]any
	testsvc.Eventually(t, 30*time.Second, "point in InfluxDB", func() bool {
		series, err := influx.TryQuery(`SELECT * FROM device_telemetry WHERE device = 'lb-0001'`)
		if err != nil || len(series) == 0 {
			return false
		}
		rows = series[0].Rows()
		return len(rows) > 0
	})
	r := rows[0]
	if r["battery_v"] != 12.4 || r["mains"] != true || r["rssi_dbm"] != -71.0 || r["site"] != "lianhua" || r["grid"] != "lh-g4-07" || r["kind"] != "lightbox" {
		t.Errorf("row = %v", r)
	}

	// Events and alarm transitions go there too.
	s.press(dev, "lb-0001", 1)
	for _, m := range []string{"device_event", "alarm_transition"} {
		testsvc.Eventually(t, 30*time.Second, m+" in InfluxDB", func() bool {
			series, err := influx.TryQuery(`SELECT * FROM ` + m + ` WHERE device = 'lb-0001'`)
			return err == nil && len(series) > 0 && len(series[0].Rows()) > 0
		})
	}
}

// TestEscalationWalksUpThroughMosquitto is issue 4's end-to-end walk on a
// real Mosquitto: a press pages step 0, nobody answers, step 1 fires on its
// deadline, the grid leader acknowledges from the phone, and step 2 (the
// command centre) never fires.
func TestEscalationWalksUpThroughMosquitto(t *testing.T) {
	mq := testsvc.Mosquitto(t)
	const step1, step2 = 1500 * time.Millisecond, 4 * time.Second
	s := startSite(t, siteOptions{external: mq.URL, step1After: step1, step2After: step2})
	phones := s.phones(allStaff...)
	dev := s.client("lb-0001", true, nil)
	s.press(dev, "lb-0001", 1)
	testsvc.Eventually(t, wait, "step 0 to wang and room1", func() bool {
		return len(phones["wang"].all()) == 1 && len(phones["room1"].all()) == 1
	})
	id := phones["wang"].all()[0].AlarmID
	testsvc.Eventually(t, wait, "step 1 to zhao and li", func() bool {
		return len(phones["zhao"].all()) == 1 && len(phones["li"].all()) == 1
	})
	if n := phones["zhao"].all()[0]; n.Step != 1 || n.AlarmID != id {
		t.Fatalf("zhao got %+v, want step 1 of %s", n, id)
	}
	phone := s.client("zhao-reply", true, nil)
	s.publish(phone, s.topics.Reply("zhao"), fmt.Appendf(nil, `{"alarm_id":%q,"action":"ack","note":"派李警官"}`, id))
	var a alarm.Alarm
	testsvc.Eventually(t, wait, "acknowledged by zhao", func() bool {
		s.getJSON("/api/v1/alarms/"+id, &a)
		return a.State == alarm.Acknowledged
	})
	// Wait until well past step 2's deadline: the command centre stays quiet.
	time.Sleep(time.Until(time.UnixMilli(a.RaisedMS).Add(step2 + 2*time.Second)))
	if got := phones["cmd1"].all(); len(got) != 0 {
		t.Errorf("step 2 fired after the ack: %+v", got)
	}
	s.getJSON("/api/v1/alarms/"+id, &a)
	for _, e := range a.Timeline {
		if e.Kind == alarm.EntryNotified && e.Step == 2 {
			t.Errorf("timeline has step 2 after the ack: %+v", e)
		}
	}
}
