package osdp

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/drivers/osdp/wire"
)

// startBus runs a bus on a new pty and returns the control panel's end.
func startBus(t *testing.T, pds ...Config) (*Bus, *os.File) {
	t.Helper()
	p, err := OpenPTY()
	if err != nil {
		t.Skipf("no pty on this machine: %v", err)
	}
	b, err := NewBus(BusConfig{Port: p.Master, PDs: pds, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := os.OpenFile(p.SlavePath, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not stop within 5 s of cancel")
		}
		cp.Close()
		p.Close()
	})
	return b, cp
}

// exchange writes a command and collects what comes back within wait:
// decoded frames and rejection reasons.
func exchange(t *testing.T, cp *os.File, c wire.Frame, wait time.Duration) ([]wire.Frame, []wire.Reason) {
	t.Helper()
	b, err := c.Encode(true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cp.Write(b); err != nil {
		t.Fatal(err)
	}
	r := wire.NewReader()
	var frames []wire.Frame
	var reasons []wire.Reason
	note := func(err error) {
		var fe *wire.FrameError
		if errors.As(err, &fe) {
			reasons = append(reasons, fe.Reason)
		}
	}
	buf := make([]byte, 256)
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) && len(frames) == 0 {
		_ = cp.SetReadDeadline(time.Now().Add(25 * time.Millisecond))
		n, _ := cp.Read(buf)
		note(r.Push(time.Now(), buf[:n]))
		for {
			f, _, err := r.Next()
			if errors.Is(err, wire.ErrIncomplete) {
				break
			}
			note(err)
			if err == nil {
				frames = append(frames, f)
			}
		}
	}
	return frames, reasons
}

func TestBusOverPTY(t *testing.T) {
	b, cp := startBus(t, Config{Address: 1}, Config{Address: 2})
	if got := b.Addresses(); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("Addresses = %v", got)
	}
	frames, _ := exchange(t, cp, cmd(2, 0, wire.CmdID, 0), 5*time.Second)
	if len(frames) != 1 || frames[0].Code != wire.ReplyPDID || frames[0].Addr != 2 {
		t.Fatalf("ID to PD 2: %+v", frames)
	}
	// Nobody at address 9, and a broadcast on a two-PD bus: silence.
	for _, c := range []wire.Frame{cmd(9, 0, wire.CmdPOLL), cmd(wire.Broadcast, 0, wire.CmdPOLL)} {
		if frames, _ := exchange(t, cp, c, 300*time.Millisecond); len(frames) != 0 {
			t.Fatalf("answer to %+v: %+v", c, frames)
		}
	}
	if got := b.PD(1).Observed().Commands[wire.CmdPOLL]; got != 1 {
		t.Fatalf("PD 1 saw %d broadcast POLLs, want 1", got)
	}
}

func TestFaultsOnTheLine(t *testing.T) {
	b, cp := startBus(t, Config{Address: 1})
	pd := b.PD(1)
	if frames, _ := exchange(t, cp, cmd(1, 0, wire.CmdPOLL), 5*time.Second); len(frames) != 1 {
		t.Fatal("no answer to the first POLL")
	}
	sqn := byte(0)
	next := func() byte { sqn = nextSQN(sqn); return sqn }
	for _, tc := range []struct {
		name   string
		faults Faults
		answer bool
	}{
		{"noise before", Faults{Noise: 8}, true},
		{"bit flip", Faults{FlipBit: true}, false},
		{"truncated", Faults{Truncate: true}, false},
		{"silent", Faults{Silent: true}, false},
		{"every other reply", Faults{FlipBit: true, Every: 2}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pd.SetFaults(tc.faults)
			frames, reasons := exchange(t, cp, cmd(1, next(), wire.CmdPOLL), 400*time.Millisecond)
			if got := len(frames) == 1; got != tc.answer {
				t.Fatalf("answered %v (%+v, rejected %v), want %v", got, frames, reasons, tc.answer)
			}
			if !tc.faults.Silent && !tc.answer && len(reasons) == 0 {
				t.Fatal("a damaged reply was not rejected")
			}
		})
	}
	pd.SetFaults(Faults{Delay: 150 * time.Millisecond})
	start := time.Now()
	if frames, _ := exchange(t, cp, cmd(1, next(), wire.CmdPOLL), 5*time.Second); len(frames) != 1 {
		t.Fatal("slow PD never answered")
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("slow reply came after %v, before the 150 ms delay", d)
	}
}
