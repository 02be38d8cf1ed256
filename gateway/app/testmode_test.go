package app_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/gridwatch/gridwatch/drivers/mqtt/wire"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestTestModePressIsQuietAndNeverAbsorbsARealPress: in an installer's
// test mode a press strobes the box but does not sound its siren, and
// pages nobody; after the test mode ends, a real press opens its own
// alarm (the test alarm is closed, not joined), pages the cell and sounds
// the siren.
func TestTestModePressIsQuietAndNeverAbsorbsARealPress(t *testing.T) {
	s := startSite(t, siteOptions{})
	phones := s.phones("wang")
	var mu sync.Mutex
	var cmds []string
	box := s.client("lb-0001", true, nil)
	tok := box.Subscribe(s.topics.Command("lb-0001"), 1, func(_ paho.Client, m paho.Message) {
		var cmd wire.CommandMsg
		if json.Unmarshal(m.Payload(), &cmd) == nil && cmd.CID != "" {
			mu.Lock()
			cmds = append(cmds, cmd.Cmd)
			mu.Unlock()
		}
	})
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	count := func(c string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, x := range cmds {
			if x == c {
				n++
			}
		}
		return n
	}

	body := `{"id":"install-lb-0001","reason":"安装调试","devices":["lb-0001"],"test":true,"by":"room1"}`
	if code, resp := silenceCall(s, "POST", "/api/v1/silences", body); code != http.StatusCreated {
		t.Fatalf("set test mode: %d %s", code, resp)
	}
	s.press(box, "lb-0001", 1)
	testsvc.Eventually(t, wait, "the test press strobes the box", func() bool { return count("strobe") == 1 })
	if code, resp := silenceCall(s, "DELETE", "/api/v1/silences/install-lb-0001?by=room1", ""); code != http.StatusNoContent {
		t.Fatalf("end test mode: %d %s", code, resp)
	}

	s.press(box, "lb-0001", 2)
	testsvc.Eventually(t, wait, "the real press strobes and sounds the box", func() bool {
		return count("strobe") == 2 && count("siren") >= 1
	})
	// Commands go out in order on one topic: a siren of the test press
	// would have come before the real press's strobe.
	if n := count("siren"); n != 1 {
		mu.Lock()
		t.Fatalf("%d sirens, want one (the real press's); commands %v", n, cmds)
	}
	testsvc.Eventually(t, wait, "the real press pages wang", func() bool { return len(phones["wang"].all()) == 1 })

	var list struct{ Alarms []alarm.Alarm }
	s.getJSON("/api/v1/alarms?state=all", &list)
	var test, real *alarm.Alarm
	for i, a := range list.Alarms {
		if a.Device != "lb-0001" {
			continue
		}
		if a.Test {
			test = &list.Alarms[i]
		} else {
			real = &list.Alarms[i]
		}
	}
	if test == nil || real == nil || test.ID == real.ID {
		t.Fatalf("want a test alarm and a real one on lb-0001: %+v", list.Alarms)
	}
	if test.State != alarm.Cleared || test.Count != 1 {
		t.Errorf("test alarm: %+v, want cleared with its one press", test)
	}
	if real.State != alarm.Open || real.Count != 1 || phones["wang"].all()[0].AlarmID != real.ID {
		t.Errorf("real alarm: %+v, want open, paged on its own", real)
	}
}

// TestTestModeOverTheAPICanAskForSirens: a test mode set over the HTTP API
// with "sirens": true keeps the siren among a test press's commands, and
// the API lists the silence with it.
func TestTestModeOverTheAPICanAskForSirens(t *testing.T) {
	s := startSite(t, siteOptions{})
	var mu sync.Mutex
	var cmds []string
	box := s.client("lb-0001", true, nil)
	tok := box.Subscribe(s.topics.Command("lb-0001"), 1, func(_ paho.Client, m paho.Message) {
		var cmd wire.CommandMsg
		if json.Unmarshal(m.Payload(), &cmd) == nil && cmd.CID != "" {
			mu.Lock()
			cmds = append(cmds, cmd.Cmd)
			mu.Unlock()
		}
	})
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	body := `{"id":"siren-check","reason":"警笛测试","devices":["lb-0001"],"test":true,"sirens":true,"by":"room1"}`
	if code, resp := silenceCall(s, "POST", "/api/v1/silences", body); code != http.StatusCreated {
		t.Fatalf("set test mode: %d %s", code, resp)
	}
	var list struct {
		Silences []struct {
			ID     string
			Sirens bool
		}
	}
	s.getJSON("/api/v1/silences", &list)
	found := false
	for _, x := range list.Silences {
		found = found || (x.ID == "siren-check" && x.Sirens)
	}
	if !found {
		t.Fatalf("silences %+v: want siren-check with sirens", list.Silences)
	}
	s.press(box, "lb-0001", 1)
	testsvc.Eventually(t, wait, "the test press strobes and sounds the box", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(cmds, "strobe") && slices.Contains(cmds, "siren")
	})
}
