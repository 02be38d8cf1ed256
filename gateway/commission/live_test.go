package commission

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/permit"
)

// TestLiveViewOfAWholeSite: a whole site walked at once (1,000 changes
// of 200 boxes) gives the live view a handful of times, not once per
// change, and its last view is the final state; a view shares the
// copies of the devices that did not change since the one before.
// On the old code every change copied the whole site for OnChange.
func TestLiveViewOfAWholeSite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var views []Session
		svc, reg, now := siteRig(t, 200, func(ss Session) {
			mu.Lock()
			defer mu.Unlock()
			views = append(views, ss)
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- svc.Run(ctx) }()
		defer func() { cancel(); <-done }()

		ss, err := svc.Start(Request{Site: true, Duration: time.Hour}, permit.Console)
		if err != nil {
			t.Fatal(err)
		}
		devs := reg.Devices()
		for _, d := range devs {
			walk(svc, d.ID, now.UnixMilli())
		}
		time.Sleep(LiveEvery)
		synctest.Wait()
		mu.Lock()
		n, last := len(views), views[len(views)-1]
		mu.Unlock()
		// The first change is given at once; Run may have taken it before
		// or after the others came (the walk and Run go side by side).
		if n < 1 || n > 2 {
			t.Fatalf("%d views of 1,000 changes within LiveEvery, want 1 or 2", n)
		}
		cur, _ := svc.Get(ss.ID, permit.Console)
		if last.Version != cur.Version || last.Summary[Pending] != 200 || last.Devices[devs[7].ID].Marks[Tamper] == nil {
			t.Errorf("the last view is version %d %v, the session version %d", last.Version, last.Summary, cur.Version)
		}

		// One box more: the next view copies it alone.
		svc.CommandResult(devs[3].ID, "strobe", "ok", "", now.UnixMilli(), now.UnixMilli()+30)
		time.Sleep(LiveEvery)
		synctest.Wait()
		mu.Lock()
		next := views[len(views)-1]
		mu.Unlock()
		if next.Version != last.Version+1 || next.Devices[devs[3].ID] == last.Devices[devs[3].ID] ||
			next.Devices[devs[4].ID] != last.Devices[devs[4].ID] || next.Devices[devs[3].ID].Marks[Command] == nil {
			t.Error("a view copies the devices that changed, and only those")
		}
		if last.Devices[devs[3].ID].Marks[Command] != nil {
			t.Error("an earlier view changed")
		}
	})
}
