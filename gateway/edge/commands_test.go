package edge

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/gateway/event"
)

// device answers commands as told: "ok", "refuse", or "hang" (until ctx
// ends); release holds every command until closed.
type device struct {
	release chan struct{}
	mu      sync.Mutex
	done    []string
}

func (d *device) Command(ctx context.Context, c event.Command) event.CommandAck {
	select {
	case <-d.release:
	case <-ctx.Done():
		return event.CommandAck{ID: c.ID, Error: ctx.Err().Error()}
	}
	d.mu.Lock()
	d.done = append(d.done, c.ID)
	d.mu.Unlock()
	switch c.Cmd {
	case "hang":
		<-ctx.Done()
		return event.CommandAck{ID: c.ID, Error: "no answer: " + ctx.Err().Error()}
	case "refuse":
		return event.CommandAck{ID: c.ID, Error: "no such output"}
	}
	return event.CommandAck{ID: c.ID, OK: true}
}

// levels records the level of each log line by message.
type levels struct {
	mu    sync.Mutex
	lines []string
}

func (l *levels) Enabled(context.Context, slog.Level) bool { return true }
func (l *levels) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, r.Level.String()+" "+r.Message)
	return nil
}
func (l *levels) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *levels) WithGroup(string) slog.Handler      { return l }

func TestCommandsQueueBoundedAndCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg := prometheus.NewRegistry()
		m, err := NewCommandMetrics(reg)
		if err != nil {
			t.Fatal(err)
		}
		dev := &device{release: make(chan struct{})}
		logs := &levels{}
		q := NewCommands("osdp-ttyUSB0", dev, m, slog.New(logs))
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- q.Run(ctx) }()

		// The driver is busy with the first; the queue holds 32 more and
		// refuses the next at once, without blocking.
		for i := range CommandQueueLen + 1 {
			if _, err := q.Send(event.Command{Device: "rd-1", Cmd: "ok"}); err != nil {
				t.Fatalf("command %d refused: %v", i+1, err)
			}
			synctest.Wait()
		}
		id, err := q.Send(event.Command{Device: "rd-1", Cmd: "ok"})
		if err == nil || !strings.Contains(err.Error(), "queue full") || id != "osdp-ttyUSB0-34" {
			t.Fatalf("full queue: %q, %v", id, err)
		}
		close(dev.release)
		synctest.Wait() // the queue drained
		for range 2 {
			if _, err := q.Send(event.Command{Device: "rd-1", Cmd: "refuse"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := q.Send(event.Command{Device: "rd-1", Cmd: "hang"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(CommandTimeout) // the hanging command's deadline
		synctest.Wait()
		for outcome, want := range map[string]float64{"ok": CommandQueueLen + 1, "dropped": 1, "refused": 3} {
			if got := testutil.ToFloat64(m.total.WithLabelValues("osdp-ttyUSB0", outcome)); got != want {
				t.Errorf("outcome %s: %v, want %v", outcome, got, want)
			}
		}
		logs.mu.Lock()
		var refusals []string
		for _, l := range logs.lines {
			if strings.HasSuffix(l, "not carried out") {
				refusals = append(refusals, strings.Fields(l)[0])
			}
		}
		logs.mu.Unlock()
		// The same refusal twice: a warning, then debug; the timeout is
		// another reason, so a warning again.
		if strings.Join(refusals, " ") != "WARN DEBUG WARN" {
			t.Errorf("refusals logged at %v, want WARN DEBUG WARN", refusals)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// TestWithCommandsStopsTogether: a driver that fails stops its command
// queue too, so that the supervisor starts both again.
func TestWithCommandsStopsTogether(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := NewCommandMetrics(nil)
		q := NewCommands("modbus-ttyUSB1", &device{release: make(chan struct{})}, m, nil)
		failing := DriverFunc(func(context.Context) error { return errors.New("port vanished") })
		if err := WithCommands(failing, q).Run(t.Context()); err == nil || err.Error() != "port vanished" {
			t.Errorf("Run: %v, want the driver's error", err)
		}
	})
}

// TestCommandsSendWait: a sender that waits gets the device's own answer
// (ok or its refusal) with the command's id, or gives up at its deadline
// while the line still carries the command out.
func TestCommandsSendWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m, _ := NewCommandMetrics(nil)
		dev := &device{release: make(chan struct{})}
		close(dev.release)
		q := NewCommands("modbus-ttyUSB1", dev, m, nil)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go q.Run(ctx)
		for _, tc := range []struct {
			cmd     string
			ok      bool
			err     string
			wantErr error
		}{
			{cmd: "ok", ok: true},
			{cmd: "refuse", err: "no such output"},
			{cmd: "hang", wantErr: context.DeadlineExceeded},
		} {
			wctx, wcancel := context.WithTimeout(ctx, CommandTimeout/2)
			ack, err := q.SendWait(wctx, event.Command{Device: "io-1", Cmd: tc.cmd})
			wcancel()
			if !errors.Is(err, tc.wantErr) || ack.OK != tc.ok || ack.Error != tc.err || ack.Device != "io-1" || !strings.HasPrefix(ack.ID, "modbus-ttyUSB1-") {
				t.Errorf("%s: SendWait = %+v, %v; want ok=%v error %q, err %v", tc.cmd, ack, err, tc.ok, tc.err, tc.wantErr)
			}
		}
		cancel()
		synctest.Wait()
	})
}
