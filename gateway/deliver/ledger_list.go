package deliver

import (
	"slices"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// PagesFor returns the pages to staffID not yet delivered (queued, fallen
// back to SMS, or failed there), oldest first: what that person's client
// may still confirm, alarms' pages and broadcasts' alike.
func (l *Ledger) PagesFor(staffID string) []event.PageReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []event.PageReport
	for _, r := range l.pages {
		if r.Staff == staffID && r.State != event.PageDelivered {
			out = append(out, r.report(r.State, r.changedMS()))
		}
	}
	slices.SortFunc(out, func(a, b event.PageReport) int {
		if a.QueuedMS != b.QueuedMS {
			return int(a.QueuedMS - b.QueuedMS)
		}
		if a.PageID < b.PageID {
			return -1
		}
		return 1
	})
	return out
}
