package chaos

import (
	"context"
	"fmt"
	"time"

	"testing"
)

// TestChaosKill9: the gateway is killed with SIGKILL at random moments
// under 50 presses/s (20 times in the full suite, 3 in the fast subset),
// restarted each time; the phones reconnect by themselves.
func TestChaosKill9(t *testing.T) {
	kills := 3
	if full() {
		kills = 20
	}
	s := newSite(t, siteOpts{boxes: boxesFor(time.Duration(kills) * 8 * time.Second)})
	ps := up(t, s)
	l := startLoad(s, pressRate)
	fault := fmt.Sprintf("1 kill -9 ×%d", kills)
	for i := range kills {
		pause(time.Second, 4*time.Second)
		s.gw.Kill()
		pause(0, time.Second)
		if err := s.gw.StartErr(); err != nil {
			v := verdict{Fault: fault}
			v.fail("the gateway would not start again after kill %d: %v", i+1, err)
			if out := s.gw.LastOutput(); panicked(out) {
				v.note("it panicked: %s", panicLine(out))
			}
			table.add(t, v)
			l.stop()
			return
		}
	}
	time.Sleep(2 * time.Second)
	presses := l.stop()
	v := settle(s, fault, presses, ps, nil, settleWithin)
	table.add(t, v)
}

// TestChaosPhoneReconnects: the security room's phone (paged for every
// press) reconnects every 150–600 ms, by turns cleanly and by a dropped
// connection, while the pages flow; its session is persistent, so it must
// still get every page.
func TestChaosPhoneReconnects(t *testing.T) {
	d := 20 * time.Second
	if full() {
		d = time.Minute
	}
	s := newSite(t, siteOpts{boxes: boxesFor(d + 5*time.Second)})
	ps := up(t, s)
	ps[room].off()
	l := startLoad(s, pressRate)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	sessions := ps[room].flap(ctx)
	cancel()
	time.Sleep(2 * time.Second)
	presses := l.stop()
	v := settle(s, fmt.Sprintf("2 phone reconnects %v", d), presses, ps, nil, settleWithin)
	v.note("%s had %d sessions", room, sessions)
	table.add(t, v)
}
