package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestTelemetryThresholdsRaiseAndClear: light boxes that report mains and
// battery only in telemetry, through a real MQTT client. mains false
// raises the yellow mains_lost alarm and pages the security room (step 0
// of the yellow policy), mains true clears it; a battery wobbling around
// its raise level raises one blue battery_low alarm, cleared at the clear
// level. The gateway restarts in between, and neither raises again nor
// forgets what it raised.
func TestTelemetryThresholdsRaiseAndClear(t *testing.T) {
	// The site's light boxes judge their battery at once (the built-in
	// default holds 5 minutes; this kind-level entry replaces it).
	reg := filepath.Join(t.TempDir(), "registry.yaml")
	if err := os.WriteFile(reg, []byte(siteRegistry+`telemetry_thresholds:
  lightbox:
    battery_v: {below: 11.5, clear: 12.0}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startSite(t, siteOptions{mutate: func(c *config.Config) { c.Registry = reg }})
	phones := s.phones("room1", "wang")
	box := s.client("lb-0001", true, nil)
	tel := func(payload string) {
		t.Helper()
		s.publish(box, s.topics.Telemetry("lb-0001"), []byte(payload))
	}
	restart := func() {
		t.Helper()
		box.Disconnect(100)
		s.stop()
		s.start()
		box = s.client("lb-0001", true, nil)
	}

	// Mains lost, said three times: one yellow alarm, paged to the room.
	tel(`{"mains": true, "battery_v": 12.7}`)
	tel(`{"mains": false, "battery_v": 12.6}`)
	mains := s.waitAlarm("mains_lost", "lb-0001", func(a alarm.Alarm) bool { return !a.State.Closed() })
	if mains.Severity != event.Yellow {
		t.Errorf("mains_lost severity %s, want yellow", mains.Severity)
	}
	testsvc.Eventually(t, wait, "security room paged for mains lost", func() bool {
		for _, n := range phones["room1"].all() {
			if n.AlarmID == mains.ID && n.Rule == "mains_lost" && n.Step == 0 {
				return true
			}
		}
		return false
	})
	tel(`{"mains": false, "battery_v": 12.6}`)
	tel(`{"mains": false, "battery_v": 12.5}`)
	if n := s.derived("power.mains_lost"); n != 1 {
		t.Errorf("%d power.mains_lost derived from three samples of mains false, want 1", n)
	}

	// A restart: mains still false is not a new loss.
	restart()
	tel(`{"mains": false, "battery_v": 12.5}`)
	if n := s.derived("power.mains_lost"); n != 0 {
		t.Errorf("%d power.mains_lost derived again after a restart, want none", n)
	}
	if a := s.alarm(mains.ID); a.Count != 1 || a.State.Closed() {
		t.Errorf("mains alarm after the restart: count %d, state %s; want 1, open", a.Count, a.State)
	}

	// Mains back: the alarm clears.
	tel(`{"mains": true, "battery_v": 12.5}`)
	testsvc.Eventually(t, wait, "mains alarm cleared", func() bool { return s.alarm(mains.ID).State == alarm.Cleared })

	// The battery wobbles around 11.5 V: one blue alarm.
	for _, v := range []string{"11.6", "11.4", "11.6", "11.45", "11.9", "11.3"} {
		tel(`{"mains": true, "battery_v": ` + v + `}`)
	}
	battery := s.waitAlarm("battery_low", "lb-0001", func(a alarm.Alarm) bool { return !a.State.Closed() })
	if battery.Severity != event.Blue {
		t.Errorf("battery_low severity %s, want blue", battery.Severity)
	}
	if n := s.derived("battery.low"); n != 1 {
		t.Errorf("%d battery.low derived from a battery wobbling at 11.5 V, want 1", n)
	}
	restart()
	tel(`{"mains": true, "battery_v": 11.2}`)
	tel(`{"mains": true, "battery_v": 11.9}`)
	if n := s.derived("battery.low") + s.derived("battery.ok"); n != 0 {
		t.Errorf("%d battery events derived after a restart below the clear level, want none", n)
	}
	tel(`{"mains": true, "battery_v": 12.2}`)
	testsvc.Eventually(t, wait, "battery alarm cleared", func() bool { return s.alarm(battery.ID).State == alarm.Cleared })
	if a := s.alarm(battery.ID); a.Count != 1 {
		t.Errorf("battery alarm gathered %d triggers, want 1", a.Count)
	}
	// The security room was paged once for each; the grid member, whom
	// neither yellow nor blue pages at step 0, not at all.
	time.Sleep(300 * time.Millisecond)
	for _, n := range phones["wang"].all() {
		if n.AlarmID == mains.ID || n.AlarmID == battery.ID {
			t.Errorf("grid member paged for %s", n.Rule)
		}
	}
}

// waitAlarm waits for an alarm of rule on device that ok accepts.
func (s *site) waitAlarm(rule, device string, ok func(alarm.Alarm) bool) alarm.Alarm {
	s.t.Helper()
	var found alarm.Alarm
	testsvc.Eventually(s.t, wait, rule+" alarm on "+device, func() bool {
		var list struct{ Alarms []alarm.Alarm }
		s.getJSON("/api/v1/alarms?state=all", &list)
		for _, a := range list.Alarms {
			if a.Rule == rule && a.Device == device && ok(a) {
				found = a
				return true
			}
		}
		return false
	})
	return found
}

// alarm returns the alarm with id.
func (s *site) alarm(id string) alarm.Alarm {
	s.t.Helper()
	var a alarm.Alarm
	s.getJSON("/api/v1/alarms/"+id, &a)
	return a
}

// derived is how many events of typ the running gateway derived from
// telemetry thresholds (since it started).
func (s *site) derived(typ string) int {
	s.t.Helper()
	re := regexp.MustCompile(`(?m)^gridwatch_telemetry_threshold_events_total\{type="` + regexp.QuoteMeta(typ) + `"\} (\d+)`)
	m := re.FindStringSubmatch(s.metrics())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestOwnMainsEventWinsOverTelemetry: a box that says power.mains_lost
// itself raises the alarm from its own event; the thresholds, following
// the journal, take that condition as raised, so its telemetry repeating
// mains false derives nothing more.
func TestOwnMainsEventWinsOverTelemetry(t *testing.T) {
	s := startSite(t, siteOptions{})
	box := s.client("lb-0001", true, nil)
	s.publish(box, s.topics.Event("lb-0001"), fmt.Appendf(nil, `{"type":"power.mains_lost","ts":%d,"seq":1}`, time.Now().UnixMilli()))
	s.waitAlarm("mains_lost", "lb-0001", func(a alarm.Alarm) bool { return !a.State.Closed() })
	testsvc.Eventually(t, wait, "the thresholds take the box's own event", func() bool {
		return strings.Contains(s.metrics(), "\ngridwatch_telemetry_thresholds_raised 1\n")
	})
	s.publish(box, s.topics.Telemetry("lb-0001"), []byte(`{"mains": false, "battery_v": 12.6}`))
	s.publish(box, s.topics.Telemetry("lb-0001"), []byte(`{"mains": false, "battery_v": 12.6}`))
	// A derived event would be journaled before the next sample's PUBACK
	// returns: one more publish orders it.
	s.publish(box, s.topics.Telemetry("lb-0001"), []byte(`{"mains": false, "battery_v": 12.6}`))
	if n := s.derived("power.mains_lost"); n != 0 {
		t.Errorf("%d power.mains_lost derived from telemetry after the box said it itself, want none", n)
	}
}
