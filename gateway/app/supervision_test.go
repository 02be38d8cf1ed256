package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestSilentBoxGoesOfflineAndComesBack: a light box with a 2 s heartbeat
// stops talking. It is declared offline between 1.0 and 1.5 heartbeats
// after its last message (judged by the derived event's own time, so a
// busy machine cannot fail this), the security room gets a yellow alarm,
// and its next message brings it back online and clears the alarm.
func TestSilentBoxGoesOfflineAndComesBack(t *testing.T) {
	s := startSite(t, siteOptions{})
	phones := s.phones("room1")
	dev := s.client("lb-0009", true, nil)
	s.publish(dev, s.topics.Telemetry("lb-0009"), []byte(`{"battery_v":12.6,"mains":true}`))
	last := time.Now().UnixMilli()

	var offline alarm.Alarm
	testsvc.Eventually(t, 30*time.Second, "offline alarm", func() bool {
		var list struct{ Alarms []alarm.Alarm }
		s.getJSON("/api/v1/alarms?state=open", &list)
		for _, a := range list.Alarms {
			if a.Device == "lb-0009" && a.Severity == event.Yellow {
				offline = a
				return true
			}
		}
		return false
	})
	silentFor := offline.EventMS - last
	if silentFor < 2000 || silentFor > 3000+200 { // 1.0x..1.5x of 2 s, plus the publish's own round trip
		t.Errorf("declared offline %d ms after the last message, want between 2000 and 3000", silentFor)
	}
	testsvc.Eventually(t, wait, "security room paged for the offline box", func() bool {
		for _, n := range phones["room1"].all() {
			if n.AlarmID == offline.ID {
				return true
			}
		}
		return false
	})
	var list struct{ Devices []devices.Status }
	s.getJSON("/api/v1/devices", &list)
	for _, d := range list.Devices {
		if d.ID == "lb-0009" && d.State != "offline" {
			t.Errorf("device list says %s, want offline", d.State)
		}
	}

	// It speaks again: back online, alarm cleared.
	s.publish(dev, s.topics.Event("lb-0009"), fmt.Appendf(nil, `{"type":"tamper.closed","seq":%d}`, time.Now().UnixMilli()))
	testsvc.Eventually(t, 30*time.Second, "offline alarm cleared", func() bool {
		var a alarm.Alarm
		s.getJSON("/api/v1/alarms/"+offline.ID, &a)
		return a.State == alarm.Cleared
	})
}

// TestSilentWhileDownIsDeclaredOfflineOnTime: a box falls silent while the
// gateway is stopped. After the restart it is declared offline, and the
// alarm says when it really went silent (1.0-1.5 heartbeats after its last
// message, before the restart), not when the gateway came back.
func TestSilentWhileDownIsDeclaredOfflineOnTime(t *testing.T) {
	s := startSite(t, siteOptions{})
	dev := s.client("lb-0009", true, nil)
	s.publish(dev, s.topics.Telemetry("lb-0009"), []byte(`{"battery_v":12.6}`))
	last := time.Now().UnixMilli()
	dev.Disconnect(0)
	s.stop() // before the 2.5 s deadline
	if time.Now().UnixMilli()-last > 2000 {
		t.Skip("the gateway took over a heartbeat to stop; the case needs a stop before the deadline")
	}
	time.Sleep(3 * time.Second) // silent while the gateway is down
	restarted := time.Now().UnixMilli()
	s.start()

	var offline alarm.Alarm
	testsvc.Eventually(t, 30*time.Second, "offline alarm after restart", func() bool {
		var list struct{ Alarms []alarm.Alarm }
		s.getJSON("/api/v1/alarms?state=open", &list)
		for _, a := range list.Alarms {
			if a.Device == "lb-0009" && a.Rule == "offline" {
				offline = a
				return true
			}
		}
		return false
	})
	if silentFor := offline.EventMS - last; silentFor < 2000 || silentFor > 3200 {
		t.Errorf("offline at %d ms after the last message, want 2000..3000", silentFor)
	}
	if offline.EventMS >= restarted {
		t.Errorf("offline time %d is after the restart %d: it should say when the box went silent", offline.EventMS, restarted)
	}
}
