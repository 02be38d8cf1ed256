package app

import (
	"time"

	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/ingest"
	"github.com/gridwatch/gridwatch/rules/runner"
)

// liveDevices is the device tracker as ingest sees it, also telling the
// rules of every sign of life that is not an event.
type liveDevices struct {
	*devices.Tracker
	rules *runner.Runner
}

var _ ingest.Devices = liveDevices{}

func (l liveDevices) Telemetry(t event.Telemetry) {
	l.Tracker.Telemetry(t)
	l.rules.Alive(t.Device, time.UnixMilli(t.Received))
}

func (l liveDevices) Presence(p event.Presence) {
	l.Tracker.Presence(p)
	if p.Online {
		l.rules.Alive(p.Device, time.UnixMilli(p.At))
	}
}

// trackerView is the device tracker as the rule runner sees it.
type trackerView struct{ *devices.Tracker }

var _ runner.Devices = trackerView{}

// LastSeen gives the last sign of life of every registered device heard from.
func (t trackerView) LastSeen() map[string]int64 {
	m := make(map[string]int64)
	for _, st := range t.List() {
		if st.Registered && st.LastSeenMS > 0 {
			m[st.ID] = st.LastSeenMS
		}
	}
	return m
}

// commander sends one device command (the command router's routes).
type commander = runner.Commander
