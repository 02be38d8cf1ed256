package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/serialline"

	cp "github.com/gridwatch/gridwatch/drivers/osdp"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testlog"
)

type sink struct {
	mu     sync.Mutex
	events []event.Event
}

func (s *sink) Telemetry(event.Telemetry) {}
func (s *sink) Alive(string, time.Time)   {}

func (s *sink) Event(e event.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

func (s *sink) card() (event.Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		if e.Type == cp.CardRead {
			return e, true
		}
	}
	return event.Event{}, false
}

func writeScript(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pd.script")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOSDPPDCommandLine(t *testing.T) {
	bad := writeScript(t, "swipe 1 h10301 68\nlaunch 1\n")
	stray := writeScript(t, "tamper 5 open\n")
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"no line", []string{"osdp-pd"}, "exactly one of -port PATH and -pty"},
		{"both lines", []string{"osdp-pd", "-pty", "-port", "/dev/ttyS0"}, "exactly one of"},
		{"bad address", []string{"osdp-pd", "-pty", "-addr", "1,200"}, `"200" is not a PD address`},
		{"bad script", []string{"osdp-pd", "-pty", "-script", bad}, "line 1: usage: swipe ADDR FORMAT FACILITY CARD"},
		{"stray address", []string{"osdp-pd", "-pty", "-addr", "1,2", "-script", stray}, "line 1: no PD at address 5"},
		{"bad key", []string{"osdp-pd", "-pty", "-key", "abc"}, `-key: want "default" or 32 hex digits`},
		{"missing script", []string{"osdp-pd", "-pty", "-script", "/nonexistent"}, "/nonexistent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := gridsim(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.err) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tc.err)
			}
		})
	}
	if code, _, _ := gridsim(t, "osdp-pd", "-port", "/nonexistent/tty"); code != exitFail {
		t.Fatalf("a port that does not open: exit %d, want %d", code, exitFail)
	}
}

// TestOSDPPDAnswersTheGateway runs `gridsim osdp-pd -pty` with a script that
// swipes a card, and the gateway's OSDP driver on the printed path.
func TestOSDPPDAnswersTheGateway(t *testing.T) {
	script := writeScript(t, "# one swipe\nswipe 3 h10301 68 41551\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb testlog.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- Main(ctx, []string{"osdp-pd", "-pty", "-addr", "3", "-baud", "115200", "-key", "default", "-script", script, "-for", "60s"}, &out, &errb)
	}()
	pathRE := regexp.MustCompile(`answering on (/dev/\S+)`)
	var path string
	deadline := time.Now().Add(20 * time.Second)
	for path == "" {
		if m := pathRE.FindStringSubmatch(out.String()); m != nil {
			path = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no pty path printed; stderr %q", errb.String())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	s := &sink{}
	bus, err := cp.New(cp.Config{Line: serialline.Line{Name: "sim", Port: path, Baud: 115200, PollInterval: 10 * time.Millisecond},
		PDs: []cp.PDConfig{{Device: "rd-0003", Address: 3, Key: "default"}}}, s, cp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	busDone := make(chan error, 1)
	go func() { busDone <- bus.Run(ctx) }()
	var card event.Event
	for ok := false; !ok; {
		if card, ok = s.card(); !ok {
			if time.Now().After(deadline.Add(10 * time.Second)) {
				t.Fatalf("no card read; simulator said %q", out.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if card.Device != "rd-0003" || card.Data["card"] != "41551" || card.Data["facility"] != 68 {
		t.Fatalf("card.read %+v", card)
	}
	cancel()
	if code := <-exit; code != exitOK {
		t.Fatalf("gridsim osdp-pd exit %d, stderr %q", code, errb.String())
	}
	if err := <-busDone; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "swipe 3 h10301 68 41551") {
		t.Fatalf("the step was not logged: %q", out.String())
	}
}
