package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestDeviceCannotClaimGatewayEvents: a light box publishes, through the
// embedded broker, events only the gateway may say about it —
// device.offline (which would open an offline alarm and mute the box's
// own sensor alarms behind it) and stream.restored — and then a mains
// loss and a panic press of its own. The claims are PUBACKed (refused for
// good), counted as bad_type and never journaled: no offline alarm, the
// mains_lost alarm is not muted, the press pages as always.
func TestDeviceCannotClaimGatewayEvents(t *testing.T) {
	s := startSite(t, siteOptions{})
	box := s.client("lb-0001", true, nil)
	now := time.Now().UnixMilli()
	s.publish(box, s.topics.Event("lb-0001"), fmt.Appendf(nil, `{"type":"device.offline","ts":%d,"seq":1}`, now))
	s.publish(box, s.topics.Event("lb-0001"), fmt.Appendf(nil, `{"type":"stream.restored","ts":%d,"seq":2}`, now))
	s.publish(box, s.topics.Event("lb-0001"), fmt.Appendf(nil, `{"type":"power.mains_lost","ts":%d,"seq":3}`, now))
	s.press(box, "lb-0001", 4)

	// The journal is evaluated in order: once the press has raised its
	// alarm, whatever came before it has been decided.
	s.waitAlarm("panic", "lb-0001", func(alarm.Alarm) bool { return true })
	mains := s.waitAlarm("mains_lost", "lb-0001", func(alarm.Alarm) bool { return true })
	if mains.Muted != "" {
		t.Errorf("the box's mains_lost alarm is muted (%q): its own device.offline claim was believed", mains.Muted)
	}
	if got := s.alarmsOf("offline", "lb-0001"); len(got) != 0 {
		t.Errorf("a device's own device.offline opened %d offline alarms: %+v", len(got), got)
	}
	if got := metricValue(s.metrics(), `gridwatch_ingest_rejected_total{reason="bad_type",transport="embedded"}`); got != 2 {
		t.Errorf("rejected{bad_type,embedded} = %v, want 2 (device.offline, stream.restored)", got)
	}
}
