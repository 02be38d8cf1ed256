package deliver

import (
	"github.com/gridwatch/gridwatch/gateway/event"
)

// Delivered records that staffID's client confirmed page pageID over
// channel (app: the phone's acknowledgement or receipt; sms: the SMS
// gateway took it). A page of someone else, an unknown page and one
// already delivered are ignored.
func (l *Ledger) Delivered(staffID, pageID, channel string) {
	now := l.cfg.Now().UnixMilli()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.pages[pageID]
	if r == nil || r.Staff != staffID || r.State == event.PageDelivered {
		return
	}
	r.State, r.Channel, r.DeliveredMS = event.PageDelivered, channel, now
	delete(l.held, pageID)
	l.touch(pageID)
	l.reports = append(l.reports, r.report(event.PageDelivered, now))
	l.m.pages.WithLabelValues(channel, outcomeDelivered).Inc()
	l.m.seconds.WithLabelValues(channel).Observe(max(0, float64(now-r.QueuedMS)/1e3))
	l.poke()
}

// Failed records that a fallback channel gave page pageID up (the SMS
// gateway refused it for good). The app page stays pending.
func (l *Ledger) Failed(staffID, pageID, channel, why string) {
	now := l.cfg.Now().UnixMilli()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.pages[pageID]
	if r == nil || r.Staff != staffID || r.State == event.PageDelivered {
		return
	}
	r.State, r.Channel = event.PageFailed, channel
	l.touch(pageID)
	rep := r.report(event.PageFailed, now)
	rep.Note = why
	l.reports = append(l.reports, rep)
	l.m.pages.WithLabelValues(channel, outcomeFailed).Inc()
	l.poke()
}

// Online tells the ledger that staffID's app (re)connected: every page
// pending for that person that the broker does not hold for the client
// goes out again at once.
func (l *Ledger) Online(staffID string) {
	now := l.cfg.Now().UnixMilli()
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, r := range l.pages {
		if r.Staff == staffID && r.State != event.PageDelivered && r.OnApp && l.held[id] == 0 {
			r.NextMS = now
		}
	}
	l.poke()
}

// PageSent tells the ledger the broker sent page pageID to staffID's
// client and holds it until acknowledged (it resends it itself on a
// reconnect).
func (l *Ledger) PageSent(staffID, pageID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.pages[pageID]; r != nil && r.Staff == staffID {
		l.held[pageID]++
	}
}

// PageDropped tells the ledger the broker gave a copy of page pageID up
// unacknowledged; the ledger sends it again when the client is back.
func (l *Ledger) PageDropped(staffID, pageID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[pageID] > 0 {
		l.held[pageID]--
	}
	if l.held[pageID] == 0 {
		delete(l.held, pageID)
	}
}

// PageAcked tells the ledger staffID's client acknowledged page pageID
// (its MQTT PUBACK): delivered through the app.
func (l *Ledger) PageAcked(staffID, pageID string) {
	l.Delivered(staffID, pageID, event.PageApp)
}

// StaffOnline is Online, as the broker reports it.
func (l *Ledger) StaffOnline(staffID string) { l.Online(staffID) }

// AlarmClosed gives up the pages of a closed alarm: they are no longer
// re-sent and their records are removed.
func (l *Ledger) AlarmClosed(alarmID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, r := range l.pages {
		if r.Note.AlarmID != alarmID || r.Note.Kind != "" {
			continue
		}
		if r.State != event.PageDelivered {
			l.m.pages.WithLabelValues(r.Channel, outcomeGivenUp).Inc()
		}
		delete(l.pages, id)
		delete(l.held, id)
		l.touch(id)
	}
	l.poke()
}
