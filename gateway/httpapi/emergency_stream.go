package httpapi

import (
	"slices"

	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// emergencyEvent is the data of the stream's "emergency" event: the switch
// that was just stored (on or off) and every scope in emergency mode after
// it that touches the client's cells, as GET /api/v1/emergency answers
// them.
type emergencyEvent struct {
	Switched    alarm.Emergency   `json:"switched"`
	Emergencies []alarm.Emergency `json:"emergencies"`
}

// PublishEmergency sends a switch of emergency mode (switched, from any
// source: this console, another screen, a county request) and the scopes
// on after it to every stream client whose cells the switched scope
// touches (see touches): the whole site concerns everyone, a cell those
// serving it, a cell above it or one below it. Each client gets only the
// scopes on that touch it. It never blocks; a client that is behind
// resyncs, and a console re-reads the state on resync.
func (s *Server) PublishEmergency(switched alarm.Emergency, on []alarm.Emergency) {
	if s.hub.n.Load() == 0 {
		return
	}
	reg := s.registry()
	s.hub.each(func(c *client) (int, bool) {
		if !touches(reg, c.who, switched.Scope) {
			return 0, false
		}
		frame, err := encodeFrame("emergency", emergencyEvent{Switched: switched, Emergencies: emergenciesOf(reg, c.who, on)})
		if err != nil {
			s.log.Error("http api: stream: cannot encode emergency switch", "scope", switched.Scope, "err", err)
			return 0, false
		}
		if len(c.alarms) >= maxQueuedAlarms {
			return c.overflow(), true
		}
		c.alarms = append(c.alarms, frame)
		return 0, true
	})
}

// emergenciesOf is the scopes of list that touch who's cells, never nil.
func emergenciesOf(reg *registry.Registry, who permit.Caller, list []alarm.Emergency) []alarm.Emergency {
	out := slices.DeleteFunc(slices.Clone(list), func(e alarm.Emergency) bool { return !touches(reg, who, e.Scope) })
	if out == nil {
		out = []alarm.Emergency{}
	}
	return out
}
