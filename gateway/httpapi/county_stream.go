package httpapi

import (
	"github.com/gridwatch/gridwatch/gateway/county"
)

// PublishCountyAlarm sends a county alarm's new state (without its
// timeline) to every stream client, as an "alarm" event. It never blocks.
func (s *Server) PublishCountyAlarm(a county.Alarm) {
	if s.hub.n.Load() == 0 {
		return
	}
	a.Timeline = nil
	frame, err := encodeFrame("alarm", a)
	if err != nil {
		s.log.Error("http api: stream: cannot encode alarm", "alarm", a.ID, "err", err)
		return
	}
	reg := s.registry()
	s.hub.each(func(c *client) (int, bool) {
		if !county.Sees(reg, c.who, &a) {
			return 0, false
		}
		if len(c.alarms) >= maxQueuedAlarms {
			return c.overflow(), true
		}
		c.alarms = append(c.alarms, frame)
		return 0, true
	})
}

// PublishSite sends a site's new health to every stream client, as a
// "site" event; a client that has not yet taken an earlier health of the
// same site gets only the newest. It never blocks.
func (s *Server) PublishSite(h county.SiteHealth) {
	if s.hub.n.Load() == 0 {
		return
	}
	frame, err := encodeFrame("site", h)
	if err != nil {
		s.log.Error("http api: stream: cannot encode site health", "site", h.Site, "err", err)
		return
	}
	version, key := s.siteVersion.Add(1), "site/"+h.Site
	s.hub.each(func(c *client) (int, bool) {
		if _, queued := c.devices[key]; !queued && len(c.devices) >= maxQueuedDevices {
			return c.overflow(), true
		}
		c.devices[key] = deviceFrame{version, frame}
		return 0, true
	})
}
