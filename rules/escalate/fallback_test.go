package escalate

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// viaNotifier is a ChannelNotifier whose pages to some staff go out by SMS.
type viaNotifier struct {
	*notifier
	sms map[string]bool
}

func (v viaNotifier) NotifyVia(ctx context.Context, staff string, n event.Notification) (string, error) {
	if err := v.Notify(ctx, staff, n); err != nil {
		return PrimaryChannel, err
	}
	if v.sms[staff] {
		return "sms", nil
	}
	return PrimaryChannel, nil
}

func TestPageThroughAFallbackChannelIsOnTheTimeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		notes := viaNotifier{notifier: newNotifier(), sms: map[string]bool{"wang": true}}
		r := newRig(t, func(c *Config) { c.Notifier = notes })
		defer r.stop()
		r.send("lb-0001", event.ButtonPressed)
		a := r.only()
		var fallbacks []alarm.Entry
		for _, e := range a.Timeline {
			if e.Kind == alarm.EntryFallback {
				fallbacks = append(fallbacks, e)
			}
		}
		if len(fallbacks) != 1 || fallbacks[0].By != "wang" || fallbacks[0].Channel != "sms" || fallbacks[0].Step != 0 {
			t.Fatalf("fallback entries = %+v, want one for wang by sms", fallbacks)
		}
		m := r.desk.m.notifications
		if sms, mq := r.metric(m.WithLabelValues("sms", "ok")), r.metric(m.WithLabelValues("mqtt", "ok")); sms != 1 || mq != 2 {
			t.Fatalf("notifications sms=%v mqtt=%v, want 1 and 2", sms, mq)
		}
	})
}

func TestStepPagesARegistryGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, func(c *Config) {
			c.Policies = DefaultPolicies()
			c.Policies[event.Red] = Policy{Steps: []Step{{Groups: []string{"patrol", "no-such-group"}, Staff: []string{"duty"}}}}
		})
		defer r.stop()
		r.send("lb-0001", event.ButtonPressed)
		if got := staffOf(r.notes.take()); !equal(got, "duty", "sun") {
			t.Fatalf("step 0 paged %v, want the patrol group (duty once, sun)", got)
		}
	})
}

// submitTrigger hands the desk one trigger as the rules would.
func (r *rig) submitTrigger(tr event.Trigger) {
	r.t.Helper()
	*r.lastID++
	ev := event.Event{ID: *r.lastID, Device: tr.Device, Type: event.ButtonPressed, TS: time.Now().UnixMilli(), Source: event.SourceMQTT}
	tr.Event = ev
	if err := r.desk.Submit(context.Background(), ev, []event.Trigger{tr}); err != nil {
		r.t.Fatal(err)
	}
	synctest.Wait()
}

func TestMutedAlarmIsRecordedButPagesNobodyUntilUnmuted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		defer r.stop()
		// A maintenance window's muted raise; a test mode's is in testmode_test.go.
		muted := event.Trigger{Rule: "panic", Severity: event.Red, Title: "检修", Device: "lb-0001", Muted: "silenced: 周二检修"}
		r.submitTrigger(muted)
		a := r.only()
		if a.Muted == "" || a.Test || a.Step != -1 || a.NextDeadlineMS != 0 {
			t.Fatalf("muted alarm: %+v", a)
		}
		advance(10 * time.Minute) // no step ever fires
		if got := r.notes.take(); len(got) != 0 {
			t.Fatalf("a muted alarm paged %v", staffOf(got))
		}
		r.submitTrigger(event.Trigger{Rule: "panic", Severity: event.Red, Title: "真的", Device: "lb-0001"})
		if got := staffOf(r.notes.take()); !equal(got, "chen", "room1", "wang") {
			t.Fatalf("after unmuting, step 0 paged %v", got)
		}
		a = r.only()
		if a.Muted != "" || a.Test || a.Count != 2 {
			t.Fatalf("unmuted alarm: %+v", a)
		}
		advance(61 * time.Second) // step 1 counts from the unmuting
		if got := staffOf(r.notes.take()); !equal(got, "li", "zhao") {
			t.Fatalf("step 1 paged %v", got)
		}
	})
}
