package chaos

import (
	"reflect"
	"testing"
	"time"
)

// TestJudge checks the judge itself on made-up outcomes: each case must
// come out with exactly the counts a reader of the table would expect.
func TestJudge(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	// lb-00001 is in cell 1: pages go to m01 and room1.
	pressed := func(box string, acked bool) *press {
		p := &press{box: box, sent: t0}
		if acked {
			p.acked = t0.Add(10 * time.Millisecond)
		}
		return p
	}
	rc := func(staff, alarm, box string, step int, after time.Duration) receipt {
		return receipt{Staff: staff, AlarmID: alarm, Rule: "panic", Device: box, Step: step, At: t0.Add(after)}
	}
	alarm := func(id, box string) apiAlarm { return apiAlarm{ID: id, Rule: "panic", Device: box} }

	tests := []struct {
		name     string
		presses  []*press
		alarms   []apiAlarm
		receipts []receipt
		sms      [][2]string // staff, alarm
		want     verdict
	}{
		{
			name:     "all delivered",
			presses:  []*press{pressed("lb-00001", true)},
			alarms:   []apiAlarm{alarm("A1", "lb-00001")},
			receipts: []receipt{rc("m01", "A1", "lb-00001", 0, 20*time.Millisecond), rc(room, "A1", "lb-00001", 0, 30*time.Millisecond)},
			want:     verdict{Sent: 1, Acked: 1, Alarms: 1, PagesWant: 2, Pages: 2, Worst: 30 * time.Millisecond},
		},
		{
			name:     "alarm missing",
			presses:  []*press{pressed("lb-00001", true)},
			receipts: nil,
			want:     verdict{Sent: 1, Acked: 1, PagesWant: 2, Lost: 1},
		},
		{
			name:     "one page lost, one repeated",
			presses:  []*press{pressed("lb-00001", true)},
			alarms:   []apiAlarm{alarm("A1", "lb-00001")},
			receipts: []receipt{rc(room, "A1", "lb-00001", 0, time.Second), rc(room, "A1", "lb-00001", 0, 2*time.Second)},
			want:     verdict{Sent: 1, Acked: 1, Alarms: 1, PagesWant: 2, Pages: 1, Lost: 1, Dup: 1, Worst: time.Second},
		},
		{
			name:     "SMS stands in for the app",
			presses:  []*press{pressed("lb-00001", true)},
			alarms:   []apiAlarm{alarm("A1", "lb-00001")},
			receipts: []receipt{rc(room, "A1", "lb-00001", 0, time.Second)},
			sms:      [][2]string{{"m01", "A1"}},
			want:     verdict{Sent: 1, Acked: 1, Alarms: 1, PagesWant: 2, Pages: 2, SMS: 1, Worst: time.Second},
		},
		{
			name:    "invented: an alarm and a page for a box never pressed, a page to the wrong person, a second alarm",
			presses: []*press{pressed("lb-00001", true)},
			alarms:  []apiAlarm{alarm("A1", "lb-00001"), alarm("A2", "lb-00001"), alarm("A9", "lb-00009")},
			receipts: []receipt{
				rc("m01", "A1", "lb-00001", 0, time.Second), rc(room, "A1", "lb-00001", 0, time.Second),
				rc("m09", "A9", "lb-00009", 0, time.Second), rc("m02", "A1", "lb-00001", 0, time.Second),
			},
			want: verdict{Sent: 1, Acked: 1, Alarms: 1, PagesWant: 2, Pages: 2, Invented: 4, Worst: time.Second},
		},
		{
			name:     "a page with another alarm id is not a delivery",
			presses:  []*press{pressed("lb-00001", true)},
			alarms:   []apiAlarm{alarm("A1", "lb-00001")},
			receipts: []receipt{rc("m01", "A1", "lb-00001", 0, time.Second), rc(room, "AX", "lb-00001", 0, time.Second)},
			want:     verdict{Sent: 1, Acked: 1, Alarms: 1, PagesWant: 2, Pages: 1, Lost: 1, Invented: 1, Worst: time.Second},
		},
		{
			name:     "unacknowledged press: not judged for pages, counted",
			presses:  []*press{pressed("lb-00001", false)},
			alarms:   []apiAlarm{alarm("A1", "lb-00001")},
			receipts: []receipt{rc("m01", "A1", "lb-00001", 0, time.Second)},
			want:     verdict{Sent: 1, Unacked: 1},
		},
		{
			name:     "later steps and other rules are not step-0 pages",
			presses:  []*press{pressed("lb-00001", true)},
			alarms:   []apiAlarm{alarm("A1", "lb-00001"), {ID: "B1", Rule: "offline", Device: "lb-00002"}},
			receipts: []receipt{rc("l01", "A1", "lb-00001", 1, time.Second), rc("m01", "A1", "lb-00001", 0, time.Second), rc(room, "A1", "lb-00001", 0, time.Second)},
			want:     verdict{Sent: 1, Acked: 1, Alarms: 1, PagesWant: 2, Pages: 2, Worst: time.Second},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &site{t: t, pressed: map[string]bool{}}
			for _, p := range tc.presses {
				s.pressed[p.box] = true
			}
			ps := phones{}
			for _, id := range staffIDs() {
				ps[id] = &phone{staff: id}
			}
			for _, r := range tc.receipts {
				ps[r.Staff].got = append(ps[r.Staff].got, r)
			}
			sms := &smsSink{sent: map[[2]string]int{}}
			for _, k := range tc.sms {
				sms.sent[k] = 0
			}
			got := judge(s, "f", tc.presses, tc.alarms, ps, sms)
			got.Notes, tc.want.Fault = nil, "f"
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("judge:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
