package broadcast

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/gateway/registry"
)

const site = `
grids:
  - {id: baiyu,    name: 白羽街道, level: 2}
  - {id: lianhua,  name: 莲花社区, level: 3, parent: baiyu}
  - {id: lh-g4-07, name: 莲花四级网格7, level: 4, parent: lianhua}
  - {id: hehua,    name: 荷花社区, level: 3, parent: baiyu}
staff:
  - {id: wang,  name: 王芳, role: grid_member, grids: [lh-g4-07]}
  - {id: zhao,  name: 赵强, role: grid_leader, grids: [lianhua]}
  - {id: room1, name: 莲花监控室, role: security_room, grids: [lianhua]}
  - {id: sun,   name: 孙丽, role: grid_member, grids: [hehua]}
  - {id: cmd1,  name: 白羽指挥中心, role: command_center, grids: [baiyu]}
devices:
  - {id: lb-0001, kind: lightbox, grid: lh-g4-07}
  - {id: lb-0002, kind: lightbox, grid: lh-g4-07}
  - {id: io-0003, kind: lightbox, grid: lh-g4-07, modbus: {port: /dev/ttyUSB1, unit: 3}}
  - {id: cam-0001, kind: camera, grid: lh-g4-07}
  - {id: lb-0009, kind: lightbox, grid: hehua}
`

type fakeNotifier struct{ got map[string]event.Notification }

func (f *fakeNotifier) NotifyVia(_ context.Context, staff string, n event.Notification) (string, error) {
	if staff == "zhao" {
		return "mqtt", errors.New("broker down")
	}
	f.got[staff] = n
	if staff == "room1" {
		return "sms", nil
	}
	return "mqtt", nil
}

type fakeCommander struct{ sent []event.Command }

func (f *fakeCommander) Send(c event.Command) (string, error) {
	f.sent = append(f.sent, c)
	return "c-" + c.Device, nil
}

func open(t *testing.T, path string, n *fakeNotifier, c *fakeCommander) *Service {
	t.Helper()
	reg, err := registry.Parse("site.yaml", []byte(site))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(Config{Path: path, Registry: func() *registry.Registry { return reg }, Notifier: n, Commander: c,
		Now: func() time.Time { return time.UnixMilli(1_790_000_000_000) }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBroadcastReachesTheSubtreeAndTracksEachTarget(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broadcasts.db")
	n, c := &fakeNotifier{got: map[string]event.Notification{}}, &fakeCommander{}
	s := open(t, path, n, c)
	b, err := s.Send(context.Background(), "lianhua", "近期电信诈骗高发，请勿向陌生账户转账", permit.Staff("room1"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // target → status
		"lb-0001": Pending, "lb-0002": Pending, "io-0003": Unsupported,
		"wang": Delivered, "room1": Delivered, "zhao": Failed,
	}
	if len(b.Targets) != len(want) {
		t.Fatalf("targets %+v, want %v", b.Targets, want)
	}
	for _, tg := range b.Targets {
		if want[tg.ID] != tg.Status {
			t.Errorf("%s %s: %s, want %s", tg.Kind, tg.ID, tg.Status, want[tg.ID])
		}
	}
	if len(c.sent) != 2 || c.sent[0].Cmd != CmdSpeak || c.sent[0].Args["text"] != b.Text || c.sent[0].Args["broadcast_id"] != b.ID {
		t.Errorf("commands %+v", c.sent)
	}
	if note := n.got["wang"]; note.Kind != event.KindBroadcast || note.BroadcastID != b.ID || note.Text != b.Text || note.AlarmID != "" {
		t.Errorf("wang's notification %+v", note)
	}
	if _, ok := n.got["sun"]; ok {
		t.Error("sun (another community) got the broadcast")
	}

	// Light boxes answer; the record follows, and survives a reopen.
	s.CommandResult("c-lb-0001", OK, "", 1_790_000_001_000)
	s.CommandResult("c-unrelated", OK, "", 1)
	// lb-0002 never answers: the restart below settles it, since the
	// commands the gateway waited on are gone with it.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path, n, c)
	defer s.Close()
	got, err := s.Get(b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary[OK] != 1 || got.Summary[Timeout] != 1 || got.Summary[Delivered] != 2 || got.Summary[Failed] != 1 || got.Summary[Unsupported] != 1 {
		t.Errorf("summary %v", got.Summary)
	}
	for _, tg := range got.Targets {
		if tg.ID == "room1" && tg.Channel != "sms" {
			t.Errorf("room1 reached by %q, want sms", tg.Channel)
		}
		if tg.ID == "lb-0002" && tg.Error != ErrRestarted.Error() {
			t.Errorf("lb-0002 after the restart: %+v", tg)
		}
	}
	list, err := s.List(10)
	if err != nil || len(list) != 1 || list[0].ID != b.ID {
		t.Errorf("list %+v %v", list, err)
	}
}

func TestWhoMayBroadcast(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "b.db"), &fakeNotifier{got: map[string]event.Notification{}}, &fakeCommander{})
	defer s.Close()
	for _, tt := range []struct {
		scope, by string
		want      error
	}{
		{"lianhua", "room1", nil},
		{"lh-g4-07", "zhao", nil},
		{"", "cmd1", nil},
		{"hehua", "room1", ErrForbidden}, // not their community
		{"lh-g4-07", "wang", ErrForbidden},
		{"", "room1", ErrForbidden},
		{"lianhua", "nobody", ErrForbidden},
		{"nowhere", "cmd1", ErrUnknownGrid},
	} {
		_, err := s.Send(context.Background(), tt.scope, "测试", permit.Staff(tt.by))
		if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
			t.Errorf("%s → %q: %v, want %v", tt.by, tt.scope, err, tt.want)
		}
	}
	if _, err := s.Send(context.Background(), "lianhua", "", permit.Staff("room1")); !errors.Is(err, ErrBadRequest) {
		t.Errorf("empty text: %v", err)
	}
}

// TestBoxBackOnlineHearsWhatItMissed: a box whose speak command timed out
// (it was offline) is spoken to again when it comes back within the hour,
// and its answer is tracked under the new command; a box that answered,
// or a broadcast older than the hour, is not repeated.
func TestBoxBackOnlineHearsWhatItMissed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broadcasts.db")
	n, c := &fakeNotifier{got: map[string]event.Notification{}}, &fakeCommander{}
	s := open(t, path, n, c)
	b, err := s.Send(context.Background(), "lh-g4-07", "台风预警：请勿外出", permit.Staff("room1"))
	if err != nil {
		t.Fatal(err)
	}
	s.CommandResult("c-lb-0001", OK, "", 1_790_000_001_000)
	s.CommandResult("c-lb-0002", Timeout, "no answer in 30s", 1_790_000_030_000)
	sent := len(c.sent)

	s.resend("lb-0001") // answered: nothing again
	if len(c.sent) != sent {
		t.Fatalf("a box that answered was spoken to again: %+v", c.sent[sent:])
	}
	s.resend("lb-0002")
	if len(c.sent) != sent+1 || c.sent[sent].Device != "lb-0002" || c.sent[sent].Args["broadcast_id"] != b.ID {
		t.Fatalf("commands after lb-0002 came back: %+v", c.sent[sent:])
	}
	got, _ := s.Get(b.ID)
	for _, tg := range got.Targets {
		if tg.ID == "lb-0002" && (tg.Status != Pending || tg.Resent != 1) {
			t.Errorf("lb-0002 after the resend: %+v", tg)
		}
	}
	s.CommandResult("c-lb-0002", Timeout, "no answer in 30s", 1_790_000_100_000) // gone again
	got, _ = s.Get(b.ID)
	if got.Summary[OK] != 1 || got.Summary[Timeout] != 1 {
		t.Errorf("summary after the second timeout: %v", got.Summary)
	}
	reg := s.cfg.Registry
	s.Close()

	// Back again: within the hour it hears it once more, over an hour
	// after the broadcast it does not.
	for _, tc := range []struct {
		after time.Duration
		want  int
	}{{ResendWithin + time.Minute, 0}, {50 * time.Minute, 1}} {
		later, err := Open(Config{Path: path, Registry: reg, Notifier: n, Commander: c,
			Now: func() time.Time { return time.UnixMilli(1_790_000_000_000).Add(tc.after) }})
		if err != nil {
			t.Fatal(err)
		}
		sent = len(c.sent)
		later.resend("lb-0002")
		if got := len(c.sent) - sent; got != tc.want {
			t.Errorf("back %v after the broadcast: spoken to %d times, want %d", tc.after, got, tc.want)
		}
		later.Close()
	}
}

// TestDeviceBackIsHandledByRun: DeviceBack only queues (the rules'
// pipeline calls it); Run does the resend.
func TestDeviceBackIsHandledByRun(t *testing.T) {
	n, c := &fakeNotifier{got: map[string]event.Notification{}}, &fakeCommander{}
	s := open(t, filepath.Join(t.TempDir(), "b.db"), n, c)
	defer s.Close()
	if _, err := s.Send(context.Background(), "lh-g4-07", "台风预警", permit.Staff("room1")); err != nil {
		t.Fatal(err)
	}
	s.CommandResult("c-lb-0002", Timeout, "no answer", 1_790_000_030_000)
	sent := len(c.sent)
	s.DeviceBack("lb-0002")
	if len(c.sent) != sent {
		t.Fatal("DeviceBack spoke on the caller's goroutine")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.resent("lb-0002") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run did not speak to lb-0002 again within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// resent is how often device was spoken to again, over every broadcast.
func (s *Service) resent(device string) int {
	list, _ := s.List(100)
	n := 0
	for _, b := range list {
		for _, tg := range b.Targets {
			if tg.ID == device {
				n += tg.Resent
			}
		}
	}
	return n
}
