package deliver

import (
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// TestLedgerPagesFor: a person's pages not yet delivered, alarms' and
// broadcasts' alike, oldest first; another person's and a delivered one
// are not among them.
func TestLedgerPagesFor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := openRig(t, filepath.Join(t.TempDir(), "pages.db"), func(c *LedgerConfig) { c.SMS = nil })
		defer r.stop(t)
		send := func(staff string, n event.Notification) {
			t.Helper()
			if _, err := r.l.NotifyVia(t.Context(), staff, n); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
		}
		send("li", page("A1", 0, "li"))
		send("li", event.Notification{Kind: event.KindBroadcast, BroadcastID: "B1", Text: "警惕诈骗", Title: "警惕诈骗"})
		send("wang", page("A1", 0, "wang"))
		send("li", page("A2", 0, "li"))
		r.l.Delivered("li", "A2.0.li", event.PageApp)

		got := r.l.PagesFor("li")
		if len(got) != 2 || got[0].PageID != "A1.0.li" || got[0].AlarmID != "A1" ||
			got[1].PageID != "b.B1.li" || got[1].BroadcastID != "B1" || got[1].State != event.PageQueued {
			t.Errorf("li's pending pages %+v; want A1's, then the broadcast's", got)
		}
		if got := r.l.PagesFor("nobody"); len(got) != 0 {
			t.Errorf("nobody's pages %+v", got)
		}
	})
}
