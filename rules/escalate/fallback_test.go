package escalate

import (
	"context"
	"testing"
	"testing/synctest"

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
