package app

import (
	"context"
	"time"

	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/ingest"
	"github.com/gridwatch/gridwatch/rules/engine"
	"github.com/gridwatch/gridwatch/rules/runner"
)

// pipeline and ruleState are the rule runner as the rule admin
// (ruleadmin.go) and the serial and RTP sinks reach it: thin views kept so
// those files compile unchanged while they are reworked elsewhere. The
// runner takes its own lock, so mu is a no-op.
type pipeline struct {
	mu     noLock
	engine *runner.Runner
}

type noLock struct{}

func (noLock) Lock()   {}
func (noLock) Unlock() {}

func (p *pipeline) alive(id string, at time.Time)  { p.engine.Alive(id, at) }
func (p *pipeline) reload(cfg engine.Config) error { return p.engine.Reload(cfg) }

type ruleState struct{ run *runner.Runner }

func (r *ruleState) request()                       { r.run.RequestSnapshot() }
func (r *ruleState) save(ctx context.Context) error { return r.run.SaveSnapshot(ctx) }

// liveDevices is the device tracker as ingest sees it, also telling the
// rules of every sign of life that is not an event.
type liveDevices struct {
	*devices.Tracker
	pipe *pipeline
}

var _ ingest.Devices = liveDevices{}

func (l liveDevices) Telemetry(t event.Telemetry) {
	l.Tracker.Telemetry(t)
	l.pipe.alive(t.Device, time.UnixMilli(t.Received))
}

func (l liveDevices) Presence(p event.Presence) {
	l.Tracker.Presence(p)
	if p.Online {
		l.pipe.alive(p.Device, time.UnixMilli(p.At))
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
