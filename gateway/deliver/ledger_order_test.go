package deliver

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// ackingApp is a phone app whose PUBACK comes back before the publish
// returns (the embedded broker delivers in line, and the escalation desk
// writes the ledger only later, on its writer).
type ackingApp struct {
	fakeNotifier
	l *Ledger
}

func (a *ackingApp) Notify(ctx context.Context, staffID string, n event.Notification) error {
	if err := a.fakeNotifier.Notify(ctx, staffID, n); err != nil {
		return err
	}
	a.l.PageAcked(staffID, n.PageID)
	return nil
}

// TestLedgerCountsAnAckBeforeTheWrite: a page confirmed before its
// record was written (before NotifyVia even returned, and before any
// Sync) is delivered, reported once, written as delivered, and not
// re-sent after a restart.
func TestLedgerCountsAnAckBeforeTheWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "pages.db")
		app := &ackingApp{}
		r := openRig(t, path, func(c *LedgerConfig) { c.App, c.SMS = app, nil })
		app.l = r.l
		n := page("A1", 0, "li")
		if _, err := r.l.NotifyVia(t.Context(), "li", n); err != nil {
			t.Fatal(err)
		}
		if p, _ := r.l.Page(n.PageID); p.State != event.PageDelivered {
			t.Fatalf("page acknowledged during its publish is %s, want delivered", p.State)
		}
		if err := r.l.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		r.stop(t)
		if got := r.reps.states(); !slices.Equal(got, []string{"li:delivered:app"}) {
			t.Fatalf("reports %v", got)
		}

		app2 := &ackingApp{}
		r = openRig(t, path, func(c *LedgerConfig) { c.App, c.SMS = app2, nil })
		app2.l = r.l
		defer r.stop(t)
		synctest.Wait()
		if p, ok := r.l.Page(n.PageID); !ok || p.State != event.PageDelivered {
			t.Fatalf("after a restart the page is %+v (%v), want delivered", p, ok)
		}
		if got := app2.got(); len(got) != 0 {
			t.Fatalf("a delivered page was re-sent after the restart: %v", got)
		}
	})
}
