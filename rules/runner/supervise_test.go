package runner

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/registry"
	"github.com/gridwatch/gridwatch/rules/engine"
	"github.com/gridwatch/gridwatch/rules/rulefile"
)

// appended is a journal that records what supervision journals.
type appended struct {
	mu     sync.Mutex
	events []event.Event
}

func (j *appended) Append(_ context.Context, ev *event.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	ev.ID = uint64(len(j.events) + 1)
	j.events = append(j.events, *ev)
	return nil
}

func (j *appended) Follow(ctx context.Context, _ uint64, _ func(event.Event) error) error {
	<-ctx.Done()
	return ctx.Err()
}

func (j *appended) LastID() uint64 { return 0 }

func (j *appended) all() []event.Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]event.Event(nil), j.events...)
}

// TestSilentDeviceIsDeclaredOfflineOnTime: a light box (60 s heartbeat)
// is declared offline 1.25 heartbeats after its last sign of life, with
// the time it went silent, not the time the tick noticed; a later sign of
// life, handed over at the next tick, moves the deadline.
func TestSilentDeviceIsDeclaredOfflineOnTime(t *testing.T) {
	tests := []struct {
		name  string
		signs []time.Duration // signs of life after the start
		want  time.Duration   // offline at
	}{
		{"silent from the start", []time.Duration{0}, 75 * time.Second},
		{"spoke once more", []time.Duration{0, 30 * time.Second}, 105 * time.Second},
		{"an older sign changes nothing", []time.Duration{0, -time.Hour}, 75 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				reg := parseSite(t)
				eng, err := engine.New(rulefile.Builtin())
				if err != nil {
					t.Fatal(err)
				}
				j := &appended{}
				r, err := New(Config{Engine: eng, Registry: func() *registry.Registry { return reg }, Journal: j,
					Desk: checkpointAt(0), Devices: &tracker{}, DataDir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				ctx, cancel := context.WithCancel(t.Context())
				done := make(chan struct{})
				go func() { r.supervise(ctx); close(done) }()
				defer func() { cancel(); <-done }()
				for _, at := range tt.signs {
					if at > 0 {
						time.Sleep(time.Until(start.Add(at)))
					}
					r.Alive("lb-0001", start.Add(at))
				}
				time.Sleep(time.Until(start.Add(tt.want - time.Second)))
				synctest.Wait()
				if got := j.all(); len(got) != 0 {
					t.Fatalf("journaled %+v before the deadline", got)
				}
				time.Sleep(3 * time.Second)
				synctest.Wait()
				got := j.all()
				if len(got) != 1 || got[0].Type != event.DeviceOffline || got[0].Device != "lb-0001" || got[0].Source != event.SourceGateway {
					t.Fatalf("journaled %+v, want lb-0001 offline from the gateway", got)
				}
				if at := time.UnixMilli(got[0].TS).Sub(start); at != tt.want {
					t.Errorf("offline at %v after the start, want %v", at, tt.want)
				}
			})
		})
	}
}
