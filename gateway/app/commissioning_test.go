package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/gateway/commission"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

func startCommissioning(t *testing.T, s *site, body string) commission.Session {
	t.Helper()
	code, resp := s.post("/api/v1/commissioning", body)
	if code != http.StatusCreated {
		t.Fatalf("POST /api/v1/commissioning %s: %d %s", body, code, resp)
	}
	var ss commission.Session
	if err := json.Unmarshal([]byte(resp), &ss); err != nil {
		t.Fatal(err)
	}
	return ss
}

// TestCommissioningACell: the security room starts a walk test of cell
// lh-g4-07; a press on lb-0001 is ticked off with its latency, recorded
// as a test alarm and pages nobody; ending the session gives the final
// report (lb-0002 not seen) and a later press is real again.
func TestCommissioningACell(t *testing.T) {
	s := startSite(t, siteOptions{})
	phones := s.phones("wang")
	box := s.client("lb-0001", true, nil)
	ss := startCommissioning(t, s, `{"grid":"lh-g4-07","duration":"1h","reason":"安装调试","by":"room1"}`)
	if len(ss.Devices) != 2 || ss.Devices["lb-0001"] == nil || ss.Devices["lb-0003"] != nil {
		t.Fatalf("session devices %v, want lh-g4-07's lb-0001 and lb-0002", ss.Devices)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"grid":"lh-g4-07","by":"wang"}`, "403"},
		{`{"devices":["lb-0001"],"by":"room1"}`, "409"},
		{`{"grid":"lh-g4-99","by":"room1"}`, "400"},
		{`{"by":"room1"}`, "400"},
	} {
		if code, resp := s.post("/api/v1/commissioning", tc.body); strconv.Itoa(code) != tc.want {
			t.Errorf("POST %s: %d %s, want %s", tc.body, code, resp, tc.want)
		}
	}

	// The console's live stream (auth off: the local console) shows it.
	sctx, scancel := context.WithCancel(context.Background())
	defer scancel()
	req, _ := http.NewRequestWithContext(sctx, "GET", s.base+"/api/v1/stream", nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil || stream.StatusCode != http.StatusOK {
		t.Fatalf("stream: %v %v", stream, err)
	}
	defer stream.Body.Close()
	live := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			live <- sc.Text()
		}
		close(live)
	}()

	s.press(box, "lb-0001", 1)
	waitFor(t, "the press on the live stream", func() bool {
		for {
			select {
			case l, ok := <-live:
				if !ok {
					return false
				}
				if strings.HasPrefix(l, "data: ") && strings.Contains(l, `"id":"`+ss.ID+`"`) && strings.Contains(l, `"press":{"ok":true`) {
					return true
				}
			default:
				return false
			}
		}
	})
	var got commission.Session
	waitFor(t, "the press ticked off", func() bool {
		s.getJSON("/api/v1/commissioning/"+ss.ID, &got)
		m := got.Devices["lb-0001"].Marks[commission.Press]
		return m != nil && m.OK && got.Devices["lb-0001"].Marks[commission.Heartbeat] != nil
	})
	var list struct{ Alarms []alarm.Alarm }
	waitFor(t, "the test alarm", func() bool {
		s.getJSON("/api/v1/alarms?state=all", &list)
		return len(list.Alarms) == 1
	})
	if !list.Alarms[0].Test {
		t.Errorf("the press during commissioning raised %+v, want a test alarm", list.Alarms[0])
	}
	if n := len(phones["wang"].all()); n != 0 {
		t.Errorf("a test press paged wang %d times", n)
	}

	code, resp := silenceCall(s, "DELETE", "/api/v1/commissioning/"+ss.ID, "")
	if code != http.StatusOK {
		t.Fatalf("DELETE: %d %s", code, resp)
	}
	if err := json.Unmarshal([]byte(resp), &got); err != nil || got.Live() || got.Devices["lb-0002"].Outcome != commission.NotSeen ||
		got.Devices["lb-0001"].Outcome != commission.Failed || got.Summary[commission.NotSeen] != 1 {
		t.Fatalf("final report %s", resp)
	}
	s.press(box, "lb-0001", 2)
	waitFor(t, "a real press pages wang once the session ended", func() bool { return len(phones["wang"].all()) == 1 })
}

// TestCommissioningEndsAcrossARestart: a session that expires while the
// gateway is down comes back ended, and its devices are out of test mode.
func TestCommissioningEndsAcrossARestart(t *testing.T) {
	s := startSite(t, siteOptions{})
	ss := startCommissioning(t, s, `{"devices":["lb-0001"],"duration":"2s","by":"room1"}`)
	s.stop()
	time.Sleep(time.Until(time.UnixMilli(ss.ExpiresMS)) + 200*time.Millisecond)
	s.start()
	var got commission.Session
	s.getJSON("/api/v1/commissioning/"+ss.ID, &got)
	if got.Live() || got.EndReason != "expired" {
		t.Fatalf("after the restart: %+v, want expired", got)
	}
	phones := s.phones("wang")
	box := s.client("lb-0001", true, nil)
	s.press(box, "lb-0001", 1)
	waitFor(t, "the press pages wang: no test mode left", func() bool { return len(phones["wang"].all()) == 1 })
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCommissioningReleasesPassedDevices: on a day-long walk test, a box
// that passed every check leaves test mode at once — a real press on it
// pages again — while the boxes not walked yet stay in it. On the old
// code lb-0001 stayed in test mode until the session's end: its press
// paged nobody.
func TestCommissioningReleasesPassedDevices(t *testing.T) {
	s := startSite(t, siteOptions{})
	phones := s.phones("wang")
	box := s.client("lb-0001", true, nil)
	tok := box.Subscribe(s.topics.Command("lb-0001"), 1, func(c paho.Client, m paho.Message) {
		var cmd wire.CommandMsg
		if json.Unmarshal(m.Payload(), &cmd) == nil {
			ack, _ := json.Marshal(wire.CommandAckMsg{CID: cmd.CID, OK: true})
			c.Publish(s.topics.CommandAck("lb-0001"), 1, false, ack)
		}
	})
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	other := s.client("lb-0002", true, nil)
	ss := startCommissioning(t, s, `{"grid":"lh-g4-07","duration":"8h","reason":"全天调试","by":"room1"}`)

	s.press(box, "lb-0001", 1)
	for i, typ := range []string{"tamper.open", "power.mains_lost", "power.mains_restored"} {
		s.publish(box, s.topics.Event("lb-0001"), fmt.Appendf(nil, `{"type":%q,"ts":%d,"seq":%d}`, typ, time.Now().UnixMilli(), i+2))
	}
	s.publish(box, s.topics.Telemetry("lb-0001"), fmt.Appendf(nil, `{"ts":%d,"battery_v":13.2,"rssi_dbm":-71}`, time.Now().UnixMilli()))
	if code, body := s.post("/api/v1/devices/lb-0001/commands", `{"cmd":"strobe","args":{"seconds":3},"by":"room1"}`); code != http.StatusOK {
		t.Fatalf("strobe: %d %s", code, body)
	}
	var got commission.Session
	waitFor(t, "lb-0001 passed and out of test mode", func() bool {
		s.getJSON("/api/v1/commissioning/"+ss.ID, &got)
		return got.Devices["lb-0001"].Outcome == commission.Passed && got.Devices["lb-0001"].Released
	})
	var sils struct {
		Silences []struct {
			ID      string   `json:"id"`
			Devices []string `json:"devices"`
		} `json:"silences"`
	}
	waitFor(t, "the session's test mode keeps lb-0002 only", func() bool {
		s.getJSON("/api/v1/silences", &sils)
		for _, x := range sils.Silences {
			if x.ID == "commission-"+ss.ID {
				return len(x.Devices) == 1 && x.Devices[0] == "lb-0002"
			}
		}
		return false
	})
	if n := len(phones["wang"].all()); n != 0 {
		t.Fatalf("the test press paged wang %d times", n)
	}

	s.press(other, "lb-0002", 1) // still a test
	s.press(box, "lb-0001", 5)   // real again
	waitFor(t, "the press on lb-0001 pages wang", func() bool { return len(phones["wang"].all()) >= 1 })
	time.Sleep(300 * time.Millisecond)
	if notes := phones["wang"].all(); len(notes) != 1 || notes[0].Device != "lb-0001" || notes[0].Step != 0 {
		t.Errorf("wang got %+v, want one page for lb-0001 (lb-0002 is still in test mode)", notes)
	}
}
