package httpapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/permit"
)

func TestHubQueue(t *testing.T) {
	dev := func(id string, version uint64, state string) func(*Server) {
		return func(s *Server) { s.PublishDevice(devices.Status{ID: id, Version: version, State: state}) }
	}
	alarmN := func(n int) func(*Server) {
		return func(s *Server) {
			for i := range n {
				a := redAlarm()
				a.ID = fmt.Sprintf("A%05d", i)
				s.PublishAlarm(a)
			}
		}
	}
	devicesN := func(n int) func(*Server) {
		return func(s *Server) {
			for i := range n {
				s.PublishDevice(devices.Status{ID: fmt.Sprintf("d-%05d", i), Version: 1})
			}
		}
	}
	tests := []struct {
		name    string
		publish []func(*Server)
		resync  bool
		frames  int
		has     []string // substrings of the frames taken
		dropped float64
	}{
		{"latest status of a device wins", []func(*Server){dev("a", 1, "online"), dev("a", 2, "offline")},
			false, 1, []string{`"state":"offline"`}, 0},
		{"an older status does not replace a newer", []func(*Server){dev("a", 3, "offline"), dev("a", 2, "online")},
			false, 1, []string{`"state":"offline"`}, 0},
		{"devices kept apart", []func(*Server){dev("a", 1, "online"), dev("b", 1, "online")},
			false, 2, nil, 0},
		{"alarms all kept in order", []func(*Server){alarmN(3)},
			false, 3, []string{"A00000", "A00002"}, 0},
		{"too many alarms: resync", []func(*Server){alarmN(maxQueuedAlarms + 10)},
			true, 9, []string{"A00257", "A00265"}, maxQueuedAlarms + 1},
		{"too many devices: resync", []func(*Server){dev("a", 1, "online"), devicesN(maxQueuedDevices)},
			true, 0, nil, maxQueuedDevices + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, testConfig(newFakeDesk(), nil))
			c, _ := s.hub.add(permit.Console)
			for _, p := range tt.publish {
				p(s)
			}
			select {
			case <-c.wake:
			default:
				t.Fatal("the client was not woken")
			}
			resync, frames := c.take()
			if resync != tt.resync || len(frames) != tt.frames {
				t.Fatalf("took resync=%v and %d frames, want %v and %d", resync, len(frames), tt.resync, tt.frames)
			}
			var all strings.Builder
			for _, f := range frames {
				all.Write(f)
			}
			for _, h := range tt.has {
				if !strings.Contains(all.String(), h) {
					t.Errorf("frames lack %q:\n%s", h, all.String())
				}
			}
			if got := testutil.ToFloat64(s.metrics.dropped); got != tt.dropped {
				t.Errorf("dropped %v, want %v", got, tt.dropped)
			}
			if got, want := testutil.ToFloat64(s.metrics.resyncs), map[bool]float64{true: 1}[tt.resync]; got != want {
				t.Errorf("resyncs %v, want %v", got, want)
			}
			if r, f := c.take(); r || len(f) != 0 {
				t.Errorf("second take: resync=%v, %d frames; want an empty queue", r, len(f))
			}
		})
	}
}

func TestPublishWithoutClients(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	s.PublishAlarm(redAlarm())
	s.PublishDevice(devices.Status{ID: "a"})
	c, _ := s.hub.add(permit.Console)
	if r, f := c.take(); r || len(f) != 0 {
		t.Fatalf("a new client got old events: resync=%v, %d frames", r, len(f))
	}
	s.hub.remove(c)
	if s.hub.n.Load() != 0 || testutil.ToFloat64(s.metrics.streams) != 0 {
		t.Fatal("removed client still counted")
	}
}
