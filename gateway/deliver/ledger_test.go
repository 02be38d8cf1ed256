package deliver

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// fakeNotifier records pages (the app's MQTT publish, the SMS outbox).
type fakeNotifier struct {
	mu    sync.Mutex
	pages []string // staff:page id
	err   error
}

func (f *fakeNotifier) Notify(_ context.Context, staffID string, n event.Notification) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.pages = append(f.pages, staffID+":"+n.PageID)
	return nil
}

func (f *fakeNotifier) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.pages)
}

// reports collects what the ledger reports.
type reports struct {
	mu  sync.Mutex
	all []event.PageReport
}

func (r *reports) add(_ context.Context, p event.PageReport) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, p)
	return nil
}

func (r *reports) states() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.all {
		out = append(out, p.Staff+":"+string(p.State)+":"+p.Channel)
	}
	return out
}

type ledgerRig struct {
	l        *Ledger
	app, sms *fakeNotifier
	reps     *reports
	reg      *prometheus.Registry
	cancel   context.CancelFunc
	done     chan struct{}
}

// openRig opens a ledger on path with fake app and SMS channels; wang has
// a phone number, li has none.
func openRig(t *testing.T, path string, mutate func(*LedgerConfig)) *ledgerRig {
	t.Helper()
	r := &ledgerRig{app: &fakeNotifier{}, sms: &fakeNotifier{}, reps: &reports{}, reg: prometheus.NewRegistry()}
	cfg := LedgerConfig{Path: path, App: r.app, SMS: r.sms,
		HasPhone: func(id string) bool { return id == "wang" }, Report: r.reps.add, Registerer: r.reg,
		Resend: Backoff{Jitter: -1}}
	if mutate != nil {
		mutate(&cfg)
	}
	l, err := OpenLedger(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.l = l
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go func() {
		defer close(r.done)
		_ = l.Run(ctx)
	}()
	return r
}

func (r *ledgerRig) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	<-r.done
	if err := r.l.Close(); err != nil {
		t.Fatal(err)
	}
}

func page(alarm string, step int, staff string) event.Notification {
	return event.Notification{AlarmID: alarm, Severity: event.Red, Step: step, PageID: alarm + "." + "0." + staff}
}

// TestLedgerDeliveredOnlyWhenConfirmed: a published page is queued, not
// delivered; it is re-sent with backoff while nobody confirms it; a
// confirmation from another person does not count; the person's own does,
// and it stops the re-sends.
func TestLedgerDeliveredOnlyWhenConfirmed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := openRig(t, filepath.Join(t.TempDir(), "pages.db"), func(c *LedgerConfig) { c.SMS = nil })
		defer r.stop(t)
		n := page("A1", 0, "li")
		if ch, err := r.l.NotifyVia(t.Context(), "li", n); err != nil || ch != "" {
			t.Fatalf("NotifyVia = %q, %v", ch, err)
		}
		if err := r.l.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if p, _ := r.l.Page(n.PageID); p.State != event.PageQueued {
			t.Fatalf("page %+v, want queued", p)
		}
		time.Sleep(DefaultResendBase + time.Millisecond)
		synctest.Wait()
		if got := r.app.got(); len(got) != 2 {
			t.Fatalf("app got %v after %v, want the page and one re-send", got, DefaultResendBase)
		}
		r.l.Delivered("wang", n.PageID, event.PageApp) // not li's client
		synctest.Wait()
		if p, _ := r.l.Page(n.PageID); p.State != event.PageQueued {
			t.Fatalf("someone else's confirmation made it %s", p.State)
		}
		r.l.PageAcked("li", n.PageID)
		synctest.Wait()
		if p, _ := r.l.Page(n.PageID); p.State != event.PageDelivered || p.Channel != event.PageApp {
			t.Fatalf("after li's PUBACK: %+v", p)
		}
		time.Sleep(10 * time.Minute)
		synctest.Wait()
		if got := r.app.got(); len(got) != 2 {
			t.Errorf("re-sent after delivery: %v", got)
		}
		if got := r.reps.states(); !slices.Equal(got, []string{"li:delivered:app"}) {
			t.Errorf("reports %v", got)
		}
		if v := testutil.ToFloat64(r.l.m.pages.WithLabelValues("app", outcomeDelivered)); v != 1 {
			t.Errorf("delivered counted %v times", v)
		}
	})
}

// TestLedgerFallsBackAfterDeadline: a page the app does not confirm goes
// to SMS after FallbackAfter for a person with a phone number (and is
// delivered once the SMS gateway took it); for a person without one it
// stays queued, and visible, until the alarm closes.
func TestLedgerFallsBackAfterDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := openRig(t, filepath.Join(t.TempDir(), "pages.db"), func(c *LedgerConfig) { c.FallbackAfter = 30 * time.Second })
		defer r.stop(t)
		for _, who := range []string{"wang", "li"} {
			if _, err := r.l.NotifyVia(t.Context(), who, page("A1", 0, who)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(29 * time.Second)
		synctest.Wait()
		if got := r.sms.got(); len(got) != 0 {
			t.Fatalf("SMS before the deadline: %v", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := r.sms.got(); !slices.Equal(got, []string{"wang:A1.0.wang"}) {
			t.Fatalf("SMS after the deadline: %v, want wang's page only", got)
		}
		if p, _ := r.l.Page("A1.0.li"); p.State != event.PageQueued {
			t.Errorf("li (no phone) %s, want still queued", p.State)
		}
		r.l.Delivered("wang", "A1.0.wang", event.PageSMS) // the SMS gateway answered 2xx
		synctest.Wait()
		if got := r.reps.states(); !slices.Equal(got, []string{"wang:fallen_back:sms", "wang:delivered:sms"}) {
			t.Errorf("reports %v", got)
		}
		if n := r.l.Pending(); n != 1 {
			t.Errorf("pending %d, want li's page", n)
		}
		r.l.AlarmClosed("A1")
		if n := r.l.Pending(); n != 0 {
			t.Errorf("pending %d after the alarm closed", n)
		}
	})
}

// TestLedgerSurvivesRestart: a page synced to the file but never
// confirmed is re-sent when the ledger opens again, and a replayed raise
// (the same page id) is not queued twice.
func TestLedgerSurvivesRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "pages.db")
		r := openRig(t, path, nil)
		n := page("A1", 0, "li")
		if _, err := r.l.NotifyVia(t.Context(), "li", n); err != nil {
			t.Fatal(err)
		}
		if err := r.l.Sync(t.Context()); err != nil {
			t.Fatal(err)
		}
		r.stop(t)

		r = openRig(t, path, nil)
		defer r.stop(t)
		if _, err := r.l.NotifyVia(t.Context(), "li", n); err != nil { // the journal replays the raise
			t.Fatal(err)
		}
		synctest.Wait()
		if got := r.app.got(); !slices.Equal(got, []string{"li:A1.0.li"}) {
			t.Errorf("after the restart the app got %v, want the pending page once", got)
		}
		if v := testutil.ToFloat64(r.l.m.pages.WithLabelValues("app", outcomeDuplicate)); v != 1 {
			t.Errorf("duplicates counted %v", v)
		}
	})
}

// TestLedgerOnlineResendsWhatTheBrokerDoesNotHold: when the person's
// client reconnects, pending pages the broker does not hold for it go out
// again at once; one the broker holds (it resends it itself) does not.
func TestLedgerOnlineResendsWhatTheBrokerDoesNotHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := openRig(t, filepath.Join(t.TempDir(), "pages.db"), nil)
		defer r.stop(t)
		for _, a := range []string{"A1", "A2"} {
			if _, err := r.l.NotifyVia(t.Context(), "li", page(a, 0, "li")); err != nil {
				t.Fatal(err)
			}
		}
		r.l.PageSent("li", "A1.0.li")
		r.l.PageSent("li", "A2.0.li")
		r.l.PageDropped("li", "A2.0.li") // a clean session ended
		r.l.StaffOnline("li")
		synctest.Wait()
		if got := r.app.got(); !slices.Equal(got, []string{"li:A1.0.li", "li:A2.0.li", "li:A2.0.li"}) {
			t.Errorf("app got %v, want A2 again only", got)
		}
	})
}

// TestLedgerFirstChannel: a person who takes texts first gets an SMS and
// nothing on the app; an app the broker knows is away falls back to SMS
// at once (and still gets the page when it returns); without a phone
// number, an SMS-first person is paged on the app.
func TestLedgerFirstChannel(t *testing.T) {
	for _, c := range []struct {
		name, staff string
		channels    []string
		listening   bool
		wantCh      string
		app, sms    int
	}{
		{"sms first", "wang", []string{"sms", "app"}, true, "sms", 0, 1},
		{"app away", "wang", []string{"app", "sms"}, false, "sms", 1, 1},
		{"app away, no phone", "li", []string{"app", "sms"}, false, "", 1, 0},
		{"sms first, no phone", "li", []string{"sms", "app"}, true, "", 1, 0},
		{"app listening", "wang", nil, true, "", 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := openRig(t, filepath.Join(t.TempDir(), "pages.db"), func(cfg *LedgerConfig) {
					if c.channels != nil {
						cfg.Channels = func(string) []string { return c.channels }
					}
					cfg.Listening = func(string) bool { return c.listening }
				})
				defer r.stop(t)
				ch, err := r.l.NotifyVia(t.Context(), c.staff, page("A1", 0, c.staff))
				if err != nil || ch != c.wantCh {
					t.Fatalf("NotifyVia = %q, %v; want %q", ch, err, c.wantCh)
				}
				synctest.Wait()
				if len(r.app.got()) != c.app || len(r.sms.got()) != c.sms {
					t.Errorf("app got %v, sms got %v; want %d and %d", r.app.got(), r.sms.got(), c.app, c.sms)
				}
			})
		})
	}
}
