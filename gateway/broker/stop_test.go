package broker

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestPublishWhileStopping: the desk may publish an alarm's retained state
// while the gateway stops. A publish racing the broker's stop either
// happens before the session store closes or is refused; it never reaches
// a store being closed (go test -race reported that with mochi's own bolt
// hook, which the write-behind session store replaced; this keeps it so).
func TestPublishWhileStopping(t *testing.T) {
	for round := range 5 {
		b, stop := startBroker(t, Config{Listen: freeAddr(t), AllowAnonymous: true, DataDir: t.TempDir(), Handler: handlerFunc(func(context.Context, string, []byte) error { return nil })})
		var wg sync.WaitGroup
		var published, refused atomic.Int64
		quit := make(chan struct{})
		for range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-quit:
						return
					default:
					}
					if err := b.Publish("R/alarms/A"+string(rune('0'+i%10)), []byte(`{"state":"open"}`), 1, true); err != nil {
						refused.Add(1)
					} else {
						published.Add(1)
					}
				}
			})
		}
		for published.Load() < 50 {
			time.Sleep(time.Millisecond)
		}
		stop()
		time.Sleep(10 * time.Millisecond) // publishes after the stop are refused
		close(quit)
		wg.Wait()
		if refused.Load() == 0 {
			t.Errorf("round %d: no publish refused after the stop (%d published)", round, published.Load())
		}
	}
}
