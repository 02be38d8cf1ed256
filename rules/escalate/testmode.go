package escalate

import (
	"strconv"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Test alarms: a raise made in an installer's test mode (Trigger.Test) is
// recorded and pages nobody. It must not stand in the way of what
// follows, so the desk closes it by itself TestCloseAfter after it was
// raised (as cleared, "test ended: …" on its timeline), and a real
// trigger of its rule on its device never joins it: the test alarm is
// closed and the real one opens on its own, raised and escalated from its
// own time. A test trigger on an open real alarm joins it, as a repeat
// press would.

// TestCloseAfter is how long a test alarm stays open: long enough to see
// it on the console, short enough that a walk test leaves nothing open.
const TestCloseAfter = 2 * time.Minute

// armTestEnd schedules the closing of a test alarm; one loaded after a
// restart whose time is past closes at once.
func (o *owner) armTestEnd(a *alarm.Alarm) {
	if a.Test && !a.State.Closed() {
		o.due.push(due{at: a.RaisedMS + TestCloseAfter.Milliseconds(), kind: dueTestEnd, alarm: a.ID})
	}
}

// fireTestEnd closes a test alarm whose time is up.
func (o *owner) fireTestEnd(a *alarm.Alarm, now time.Time) {
	if a.EndTest(now.UnixMilli(), "closed after "+TestCloseAfter.String()) {
		o.d.log.Info("test alarm closed", "alarm", a.ID, "rule", a.Rule, "device", a.Device, "after", TestCloseAfter)
		o.changed(a)
	}
}

// endTestFor closes the open test alarm a real trigger t would join, so
// that t opens its own alarm. It reports whether it closed one.
func (o *owner) endTestFor(a *alarm.Alarm, t event.Trigger, now time.Time) bool {
	if t.Test || !a.EndTest(now.UnixMilli(), "a real trigger arrived (event "+strconv.FormatUint(t.Event.ID, 10)+")") {
		return false
	}
	o.d.log.Info("test alarm closed: a real trigger opens its own alarm", "alarm", a.ID, "rule", a.Rule,
		"device", a.Device, "event", t.Event.ID)
	o.changed(a)
	return true
}
