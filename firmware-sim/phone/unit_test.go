package phone

import (
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
)

func TestLine(t *testing.T) {
	at := time.Date(2025, 3, 1, 9, 15, 0, 123e6, time.UTC)
	full := event.Notification{
		AlarmID: "a-17", Rule: "panic", Severity: event.Red, Title: "一键报警", Device: "lb-0001", DeviceName: "莲花路12号",
		Grid: "lh-g4-07", GridName: "莲花四级网格7", Step: 1, DeadlineMS: at.Add(60 * time.Second).UnixMilli(), Count: 3,
		Clip: "/clips/a-17.mp4", Late: true,
	}
	tests := []struct {
		name string
		n    event.Notification
		want string
	}{
		{"full", full, `09:15:00.123 wang RED    step 1 LATE  "一键报警"  device lb-0001 (莲花路12号)  grid lh-g4-07 (莲花四级网格7)  deadline 09:16:00 (in 1m0s)  x3  clip /clips/a-17.mp4  alarm a-17`},
		{"bare", event.Notification{AlarmID: "a-2", Severity: event.Blue, Title: "battery low", Device: "lb-2", Grid: "g"},
			`09:15:00.123 wang BLUE   step 0  "battery low"  device lb-2  grid g  no deadline  alarm a-2`},
		{"overdue", event.Notification{AlarmID: "a-3", Severity: event.Yellow, Device: "d", Grid: "g", DeadlineMS: at.Add(-5 * time.Second).UnixMilli()},
			`09:15:00.123 wang YELLOW step 0  ""  device d  grid g  deadline 09:14:55 (5s ago)  alarm a-3`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Line("wang", tc.n, at); got != tc.want {
				t.Fatalf("\ngot  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestScheduleKeepsTimeOrder(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var s schedule
	if _, ok := s.next(); ok {
		t.Fatal("empty schedule has a next")
	}
	s.add(t0.Add(3*time.Second), "a", event.Resolve)
	s.add(t0.Add(1*time.Second), "a", event.Ack)
	s.add(t0.Add(2*time.Second), "b", event.Ack)
	s.add(t0.Add(2*time.Second), "a", event.Arrive) // same time: after b's ack
	if n, _ := s.next(); !n.Equal(t0.Add(time.Second)) {
		t.Fatalf("next = %v", n)
	}
	if got := s.popDue(t0); len(got) != 0 {
		t.Fatalf("due before time: %v", got)
	}
	got := s.popDue(t0.Add(2 * time.Second))
	want := []due{{t0.Add(time.Second), "a", event.Ack}, {t0.Add(2 * time.Second), "b", event.Ack}, {t0.Add(2 * time.Second), "a", event.Arrive}}
	if len(got) != len(want) {
		t.Fatalf("due = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("due[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if rest := s.popDue(t0.Add(time.Hour)); len(rest) != 1 || rest[0].action != event.Resolve {
		t.Fatalf("rest = %v", rest)
	}
}

func TestRecentForgetsOldest(t *testing.T) {
	r := newRecent(2)
	for _, step := range []struct {
		id  string
		new bool
	}{{"a", true}, {"a", false}, {"b", true}, {"c", true}, {"b", false}, {"a", true}} {
		if got := r.add(step.id); got != step.new {
			t.Fatalf("add(%s) = %v, want %v", step.id, got, step.new)
		}
	}
}
