package alarm

import (
	"testing"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// TestApplyPage: news of a page changes its state and adds one timeline
// entry; news already known, or older than "delivered", changes nothing.
func TestApplyPage(t *testing.T) {
	rep := func(state event.PageState, ch string) event.PageReport {
		return event.PageReport{PageID: "A.0.wang", AlarmID: "A", Staff: "wang", Step: 0, Channel: ch, State: state, AtMS: 2000}
	}
	for _, c := range []struct {
		name    string
		news    []event.PageReport
		state   event.PageState
		channel string
		entries []EntryKind
	}{
		{"delivered", []event.PageReport{rep(event.PageDelivered, "app")}, event.PageDelivered, "app", []EntryKind{EntryDelivered}},
		{"twice is once", []event.PageReport{rep(event.PageDelivered, "app"), rep(event.PageDelivered, "app")}, event.PageDelivered, "app", []EntryKind{EntryDelivered}},
		{"fallback then sms", []event.PageReport{rep(event.PageFallenBack, "sms"), rep(event.PageDelivered, "sms")}, event.PageDelivered, "sms", []EntryKind{EntryFallback, EntryDelivered}},
		{"delivered stays", []event.PageReport{rep(event.PageDelivered, "app"), rep(event.PageFallenBack, "sms")}, event.PageDelivered, "app", []EntryKind{EntryDelivered}},
		{"failed, then the app", []event.PageReport{rep(event.PageFailed, "sms"), rep(event.PageDelivered, "app")}, event.PageDelivered, "app", []EntryKind{EntryPageFailed, EntryDelivered}},
		{"queued is no news", []event.PageReport{rep(event.PageQueued, "app")}, event.PageQueued, "app", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := &Alarm{ID: "A"}
			a.Paged("A.0.wang", "wang", 0, "app", event.PageQueued, 1000)
			for _, r := range c.news {
				a.ApplyPage(r)
			}
			if len(a.Pages) != 1 || a.Pages[0].State != c.state || a.Pages[0].Channel != c.channel {
				t.Fatalf("pages %+v, want one %s over %s", a.Pages, c.state, c.channel)
			}
			var kinds []EntryKind
			for _, e := range a.Timeline {
				kinds = append(kinds, e.Kind)
			}
			if len(kinds) != len(c.entries) {
				t.Fatalf("timeline %v, want %v", kinds, c.entries)
			}
			for i := range kinds {
				if kinds[i] != c.entries[i] {
					t.Fatalf("timeline %v, want %v", kinds, c.entries)
				}
			}
		})
	}
}
