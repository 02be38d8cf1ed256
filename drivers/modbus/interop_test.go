package modbus

import (
	"bufio"
	"context"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/drivers/serialline"
	"github.com/gridwatch/gridwatch/firmware-sim/osdp"
	"github.com/gridwatch/gridwatch/gateway/event"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// The interop tests run the gateway's master against Modbus RTU servers it
// did not write: pymodbus (Python) and libmodbus (C), each on one end of a
// null-modem pair of ptys. They need Debian's python3-pymodbus and
// libmodbus-dev (scripts/test-deps.sh installs both) and are skipped, with
// the reason, without them unless GRIDWATCH_REQUIRE_SERVICES=1. Each takes
// a few seconds.

// nullModem returns the paths of two serial ports wired to each other, as
// a USB RS-485 adapter and a device on the same line are: what one writes
// the other reads. It is two pty pairs whose masters the test bridges.
func nullModem(t *testing.T) (string, string) {
	t.Helper()
	a, err := osdp.OpenPTY()
	if err != nil {
		t.Skipf("no pty on this machine: %v", err)
	}
	b, err := osdp.OpenPTY()
	if err != nil {
		a.Close()
		t.Skipf("no pty on this machine: %v", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = io.Copy(a.Master, b.Master) })
	wg.Go(func() { _, _ = io.Copy(b.Master, a.Master) })
	t.Cleanup(func() {
		a.Close()
		b.Close()
		wg.Wait()
	})
	return a.SlavePath, b.SlavePath
}

// server is an independent Modbus server process: its stdin, and the lines
// it printed.
type server struct {
	stdin io.WriteCloser
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
}

// startServer runs name with args until the test ends and waits for it to
// print "ready".
func startServer(t *testing.T, name string, args ...string) *server {
	t.Helper()
	s := &server{cmd: exec.Command(name, args...)}
	var err error
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	s.cmd.Stderr = &stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.mu.Lock()
			s.lines = append(s.lines, sc.Text())
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-read
		_ = s.cmd.Wait()
		if t.Failed() {
			t.Logf("%s stdout:\n%s\nstderr:\n%s", name, strings.Join(s.printed(), "\n"), stderr.String())
		}
	})
	eventually(t, name+" ready", func() bool { return slices.Contains(s.printed(), "ready") })
	return s
}

func (s *server) printed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.lines)
}

func (s *server) say(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(s.stdin, line+"\n"); err != nil {
		t.Fatalf("tell the server %q: %v", line, err)
	}
}

// startMaster polls port for the given units (lightbox-io).
func startMaster(t *testing.T, port string, tune func(*Config), units map[byte]string) (*Bus, *collector) {
	t.Helper()
	cfg := Config{Line: serialline.Line{Name: "interop", Port: port, Baud: 115200, PollInterval: 50 * time.Millisecond,
		ReplyTimeout: 100 * time.Millisecond}, Retries: 2}
	for _, id := range slices.Sorted(maps.Keys(units)) {
		cfg.Units = append(cfg.Units, UnitConfig{Device: units[id], Unit: int(id), Profile: BuiltinProfile})
	}
	if tune != nil {
		tune(&cfg)
	}
	sink := &collector{}
	b, err := New(cfg, sink, Options{Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := b.Run(ctx); err != nil {
			t.Errorf("master: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return b, sink
}

// TestInteropPymodbus: units served by pymodbus are polled, their inputs
// become events (the state at the first read, then every change) and a
// rule command pulses their coil.
func TestInteropPymodbus(t *testing.T) {
	python := testsvc.PyModbus(t)
	ours, theirs := nullModem(t)
	srv := startServer(t, python, "testdata/interop/pymodbus_server.py", theirs, "115200", "1", "2")
	b, sink := startMaster(t, ours, nil, map[byte]string{1: "lb-1", 2: "lb-2"})
	for _, d := range []string{"lb-1", "lb-2"} {
		eventually(t, d+" online with its state", func() bool {
			return sink.count(d, event.DeviceOnline) == 1 && sink.count(d, event.TamperClosed) == 1 &&
				sink.count(d, event.PowerMainsRestored) == 1
		})
	}
	srv.say(t, "di 1 1 1")
	eventually(t, "tamper open on lb-1", func() bool { return sink.changes("lb-1", event.TamperOpen) == 1 })
	srv.say(t, "di 2 2 0")
	eventually(t, "mains lost on lb-2", func() bool { return sink.changes("lb-2", event.PowerMainsLost) == 1 })
	srv.say(t, "di 2 0 1")
	eventually(t, "button on lb-2", func() bool { return sink.changes("lb-2", event.ButtonPressed) == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ack := b.Command(ctx, event.Command{ID: "c-1", Device: "lb-2", Cmd: "siren", Args: map[string]any{"seconds": 0.3}}); !ack.OK {
		t.Fatalf("siren on a pymodbus unit: %+v", ack)
	}
	eventually(t, "coil 1 of unit 2 on, then off", func() bool {
		p := strings.Join(srv.printed(), "\n")
		on := strings.Index(p, "coil 2 1 1")
		return on >= 0 && strings.Contains(p[on:], "coil 2 1 0")
	})
	if n := sink.count("lb-1", event.DeviceOffline) + sink.count("lb-2", event.DeviceOffline); n != 0 {
		t.Errorf("%d offline events from units that always answered", n)
	}
}

// TestInteropLibmodbusNextToAnAbsentUnit: a libmodbus server that hears a
// request for another unit takes the next frame on the line for that
// unit's reply. With unit 1 absent, a master that sends its next request
// right after the timeout loses it to the libmodbus unit, which goes
// offline; the quiet time after an unanswered request keeps it in step.
func TestInteropLibmodbusNextToAnAbsentUnit(t *testing.T) {
	bin := testsvc.BuildLibmodbus(t, "testdata/interop/libmodbus_server.c")
	ours, theirs := nullModem(t)
	srv := startServer(t, bin, theirs, "115200", "2")
	b, sink := startMaster(t, ours, func(c *Config) { c.Reprobe = 200 * time.Millisecond },
		map[byte]string{1: "lb-1", 2: "lb-2"})
	eventually(t, "lb-2 online", func() bool { return sink.count("lb-2", event.DeviceOnline) == 1 })
	eventually(t, "lb-1 offline", func() bool { return sink.count("lb-1", event.DeviceOffline) == 1 })
	// Every probe of the absent unit is a chance to knock lb-2 out of step.
	eventually(t, "ten unanswered requests to lb-1", func() bool { return testutil.ToFloat64(b.m.Timeouts) >= 10 })
	if n := sink.count("lb-2", event.DeviceOffline); n != 0 {
		t.Fatalf("lb-2 (libmodbus) went offline %d times next to the absent lb-1", n)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "tamper open on lb-2", func() bool { return sink.changes("lb-2", event.TamperOpen) == 1 })
}
