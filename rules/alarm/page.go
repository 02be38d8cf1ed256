package alarm

import (
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// Timeline entry kinds of page delivery.
const (
	// EntryDelivered: By's client confirmed the page of Step (Channel app:
	// the phone's MQTT acknowledgement or receipt; sms: the SMS gateway
	// took it).
	EntryDelivered EntryKind = "delivered"
	// EntryPageFailed: no channel left could take By's page of Step.
	EntryPageFailed EntryKind = "page_failed"
)

// Page is one page to one person for one step of the alarm, and how far it
// got. A page is delivered only once that person's client confirmed it.
type Page struct {
	ID      string          `json:"id"`
	Staff   string          `json:"staff"`
	Step    int             `json:"step"`
	Channel string          `json:"channel"` // app or sms: the channel it is on (or was delivered through)
	State   event.PageState `json:"state"`
	// QueuedMS is when it was sent first, DeliveredMS when it was confirmed.
	QueuedMS    int64 `json:"queued_ms"`
	DeliveredMS int64 `json:"delivered_ms,omitempty"`
}

// Paged records that page id went out to staff for step over channel at
// nowMS, in state (queued until confirmed; fallen_back when it went to SMS
// at once). A page already recorded is left as it is.
func (a *Alarm) Paged(id, staff string, step int, channel string, state event.PageState, nowMS int64) {
	if id == "" || slices.ContainsFunc(a.Pages, func(p Page) bool { return p.ID == id }) {
		return
	}
	a.Pages = append(a.Pages, Page{ID: id, Staff: staff, Step: step, Channel: channel, State: state, QueuedMS: nowMS})
}

// ApplyPage records news of one of the alarm's pages: its state, and a
// timeline entry (delivered, fallback, page_failed). It reports whether
// anything changed: news already known, or older than what is known (a
// delivered page stays delivered), changes nothing.
func (a *Alarm) ApplyPage(r event.PageReport) bool {
	i := slices.IndexFunc(a.Pages, func(p Page) bool { return p.ID == r.PageID })
	added := i < 0
	if added { // a page the alarm lost with a crash, known to the ledger
		a.Pages = append(a.Pages, Page{ID: r.PageID, Staff: r.Staff, Step: r.Step, Channel: r.Channel,
			State: event.PageQueued, QueuedMS: r.QueuedMS})
		i = len(a.Pages) - 1
	}
	p := &a.Pages[i]
	if p.State == r.State || p.State == event.PageDelivered {
		return added
	}
	var kind EntryKind
	switch r.State {
	case event.PageDelivered:
		kind = EntryDelivered
		p.DeliveredMS = r.AtMS
	case event.PageFallenBack:
		if p.State == event.PageFailed {
			return false
		}
		kind = EntryFallback
	case event.PageFailed:
		kind = EntryPageFailed
	default:
		return added
	}
	p.State, p.Channel = r.State, r.Channel
	a.Timeline = append(a.Timeline, Entry{At: r.AtMS, Kind: kind, By: r.Staff, Channel: r.Channel, Step: r.Step, Note: r.Note})
	return true
}
