package commission

import (
	"context"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

// TestPassedDevicesLeaveTestMode: a box that passed every check leaves
// the session's test mode at once (a real press on it pages again) while
// the others stay in it; a failing check later does not put it back; the
// release is redone after a restart; nothing is released once the
// session ended. On the old code every device stayed in test mode until
// the session's end, hours later on a site walked over a day.
func TestPassedDevicesLeaveTestMode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t)
		var stop func()
		run := func() {
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.svc.Run(ctx) }()
			stop = func() { cancel(); <-done; stop = func() {} }
		}
		run()
		defer func() { stop() }()
		ss, err := r.svc.Start(Request{Devices: []string{"lb-0001", "lb-0003"}, Duration: time.Hour}, permit.Console)
		if err != nil {
			t.Fatal(err)
		}
		rx := r.ms(time.Second)
		walk(r.svc, "lb-0001", rx)
		walk(r.svc, "lb-0003", rx) // all but the command
		time.Sleep(LiveEvery)      // Run acts at most every LiveEvery
		synctest.Wait()
		if got := r.mode.releasedOf(ss.ID); len(got) != 0 {
			t.Fatalf("released before passing: %v", got)
		}
		r.svc.CommandResult("lb-0001", "strobe", "ok", "", rx, rx+30)
		time.Sleep(LiveEvery) // Run acts at most every LiveEvery
		synctest.Wait()
		if got := r.mode.releasedOf(ss.ID); !slices.Equal(got, []string{"lb-0001"}) {
			t.Fatalf("released %v, want [lb-0001]", got)
		}
		got, _ := r.svc.Get(ss.ID, permit.Console)
		if !got.Devices["lb-0001"].Released || got.Devices["lb-0003"].Released {
			t.Errorf("released flags: lb-0001 %v, lb-0003 %v", got.Devices["lb-0001"].Released, got.Devices["lb-0003"].Released)
		}
		// A battery out of range later fails the box but does not silence it again.
		r.svc.Telemetry(event.Telemetry{Device: "lb-0001", Received: rx + 5, Fields: map[string]any{"battery_v": 10.2}})
		time.Sleep(LiveEvery) // Run acts at most every LiveEvery
		synctest.Wait()
		if got := r.mode.releasedOf(ss.ID); len(got) != 1 {
			t.Errorf("released again: %v", got)
		}
		stop()

		// The gateway restarts: what passed is released again (the
		// release may not have been written before it stopped).
		if err := r.svc.Close(); err != nil {
			t.Fatal(err)
		}
		r.mode.released = nil
		r.open(t)
		run()
		time.Sleep(LiveEvery) // Run acts at most every LiveEvery
		synctest.Wait()
		if got := r.mode.releasedOf(ss.ID); !slices.Equal(got, []string{"lb-0001"}) {
			t.Errorf("after a restart released %v, want [lb-0001]", got)
		}

		// Ended: lb-0003 passing now releases nothing.
		if _, err := r.svc.End(ss.ID, permit.Console); err != nil {
			t.Fatal(err)
		}
		r.svc.CommandResult("lb-0003", "strobe", "ok", "", rx, rx+30)
		time.Sleep(LiveEvery) // Run acts at most every LiveEvery
		synctest.Wait()
		if got := r.mode.releasedOf(ss.ID); slices.Contains(got, "lb-0003") {
			t.Errorf("released after the session ended: %v", got)
		}
		stop()
	})
}
