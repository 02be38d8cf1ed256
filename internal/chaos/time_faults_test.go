package chaos

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// escalation returns a red policy paging the grid member and the security
// room at once and the cell's grid leader after step1.
func escalation(step1 time.Duration) string {
	return fmt.Sprintf(`escalation:
  red:
    steps:
      - {after: 0s, roles: [grid_member, security_room]}
      - {after: %s, roles: [grid_leader]}
`, step1)
}

// early is how much earlier than press + after a step-1 page may arrive
// and still count as on time: clock granularity, not scheduling slack (the
// alarm is raised after the press was sent, so its deadline is later).
const early = 100 * time.Millisecond

// checkStep1 judges step 1 of every acknowledged press: the grid leader of
// its cell must be paged, not before the press + after, and no later than
// after + late (generous: an hour late or never is what it catches). It
// waits, bounded, for pages still due.
func checkStep1(v *verdict, presses []*press, ps phones, after, late time.Duration) {
	var lastSent time.Time
	for _, p := range presses {
		lastSent = p.sent
	}
	deadline := lastSent.Add(after + late + 30*time.Second)
	var missing, tooEarly, tooLate, paged int
	var worstEarly, worstLate time.Duration
	for {
		first := map[string]time.Time{} // box → first step-1 receipt
		for c := range cells {
			for _, r := range ps[leaderOf(c)].receipts() {
				if r.Rule == "panic" && r.Step == 1 {
					if at, ok := first[r.Device]; !ok || r.At.Before(at) {
						first[r.Device] = r.At
					}
				}
			}
		}
		missing, tooEarly, tooLate, paged = 0, 0, 0, 0
		worstEarly, worstLate = 0, 0
		for _, p := range presses {
			if p.acked.IsZero() {
				continue
			}
			at, ok := first[p.box]
			if !ok {
				missing++
				continue
			}
			paged++
			d := at.Sub(p.sent) - after
			if d < -early {
				tooEarly++
				worstEarly = min(worstEarly, d)
			}
			if d > late {
				tooLate++
			}
			worstLate = max(worstLate, d)
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	v.note("step 1 (after %v): %d paged, worst %+.1fs off schedule", after, paged, worstLate.Seconds())
	if tooEarly > 0 {
		v.fail("step 1 paged early for %d presses (worst %.1fs before its deadline)", tooEarly, -worstEarly.Seconds())
	}
	if tooLate > 0 {
		v.fail("step 1 paged more than %v late for %d presses", late, tooLate)
	}
	if missing > 0 {
		v.fail("step 1 never paged for %d presses (waited %v past the deadline)", missing, late+30*time.Second)
	}
}

// TestChaosStaffOffline: one grid member's phone drops off the network for
// 5 minutes while presses in their cell page them. Escalation must go on
// schedule (step 1 to the grid leader at its deadline), and every page of
// theirs must arrive, in order, when the phone returns, or have gone out
// by SMS.
func TestChaosStaffOffline(t *testing.T) {
	requireFull(t)
	const after, offline, pressing = 60 * time.Second, 5 * time.Minute, time.Minute
	sms, smsURL := startSMS(t)
	away := memberOf(0)
	s := newSite(t, siteOpts{boxes: boxesFor(pressing), escalation: escalation(after),
		smsURL: smsURL, phoneOf: map[string]string{away: "+8613800000000"}})
	ps := up(t, s)
	ps[away].goAway()
	left := time.Now()
	l := startLoad(s, pressRate)
	time.Sleep(pressing)
	presses := l.stop()
	checkLater := verdict{}
	checkStep1(&checkLater, presses, ps, after, time.Minute)
	time.Sleep(time.Until(left.Add(offline)))
	back := time.Now()
	ps[away].stayOn()
	v := settle(s, "5 staff offline 5m", presses, ps, sms, settleWithin)
	v.Notes = append(v.Notes, checkLater.Notes...)
	v.Failed = v.Failed || checkLater.Failed

	// Order: what the phone got after it came back, in arrival order, each
	// page at its first arrival (a repeat of an earlier page is not an
	// inversion).
	var lastRaised int64
	inversions, queued := 0, 0
	seen := map[string]bool{}
	for _, r := range ps[away].receipts() {
		if r.At.Before(back) || r.Rule != "panic" || r.Step != 0 || seen[r.AlarmID] {
			continue
		}
		seen[r.AlarmID] = true
		queued++
		if r.RaisedMS < lastRaised {
			inversions++
		}
		lastRaised = max(lastRaised, r.RaisedMS)
	}
	v.note("%s: %d pages arrived after returning, %d SMS sent in all", away, queued, sms.count())
	if inversions > 0 {
		v.fail("%s got %d queued pages out of order", away, inversions)
	}
	table.add(t, v)
}

// TestChaosClockSteps: the gateway's wall clock steps +1 h, back (−1 h)
// and −1 h again under load, with step 1 due 8 s after each alarm. Step 1
// must page on schedule across every step: not at once, not an hour late.
// The clock is moved through GRIDWATCH_CLOCK_OFFSET_FILE (a Go duration
// the daemon adds to its wall-clock readings); a daemon that ignores it
// fails the test as "not injected".
func TestChaosClockSteps(t *testing.T) {
	requireFull(t)
	const after = 8 * time.Second
	offset := filepath.Join(t.TempDir(), "clock-offset")
	set := func(d string) {
		t.Helper()
		if err := os.WriteFile(offset+".tmp", []byte(d), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(offset+".tmp", offset); err != nil {
			t.Fatal(err)
		}
	}
	set("0s")
	t.Setenv("GRIDWATCH_CLOCK_OFFSET_FILE", offset)
	s := newSite(t, siteOpts{boxes: boxesFor(70 * time.Second), escalation: escalation(after)})
	ps := up(t, s)
	l := startLoad(s, pressRate)
	time.Sleep(10 * time.Second)
	// Was the clock really moved? The gateway keeps its own time across a
	// step (its stamps do not move), but it notices the step and shows the
	// wall clock's offset from its time on /metrics.
	var seen []string
	for _, d := range []string{"1h", "0s", "-1h"} {
		set(d)
		time.Sleep(20 * time.Second)
		want, _ := time.ParseDuration(d)
		got, ok := clockOffset(s.httpAddr)
		if !ok || (got-want).Abs() > time.Minute {
			seen = append(seen, fmt.Sprintf("%s: gateway saw %v", d, got))
		}
	}
	presses := l.stop()
	v := settle(s, "7 clock +1h, -1h, -1h", presses, ps, nil, settleWithin)
	checkStep1(&v, presses, ps, after, time.Minute)

	if len(seen) > 0 {
		v.fail("not injected: gridwatch_clock_offset_seconds did not follow GRIDWATCH_CLOCK_OFFSET_FILE (%s)", strings.Join(seen, "; "))
	} else {
		v.note("the gateway saw each step (gridwatch_clock_offset_seconds followed +1h, 0, -1h) and kept its own time")
	}
	set("0s")
	table.add(t, v)
}

// clockOffset reads gridwatch_clock_offset_seconds from the gateway's
// /metrics.
func clockOffset(httpAddr string) (time.Duration, bool) {
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "gridwatch_clock_offset_seconds "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return time.Duration(f * float64(time.Second)), err == nil
		}
	}
	return 0, false
}
