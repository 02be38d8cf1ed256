package testsvc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds on how long a service may take to come up and to go down.
const (
	readyTimeout = 2 * time.Minute  // generous: influxd 1.8 spends ~5 s of CPU loading Flux, on 2 shared cores
	termTimeout  = 15 * time.Second // after SIGTERM, before SIGKILL
	killTimeout  = 10 * time.Second // after SIGKILL
	pollEvery    = 20 * time.Millisecond
	logTail      = 32 << 10 // bytes of each log shown when a test fails
)

// daemon runs one service process at a time for a test: start, wait until
// ready, stop (SIGTERM, then SIGKILL), again on the same ports if asked.
// Every run's stdout and stderr go to their own file in dir; the files are
// shown with t.Log when the test fails.
type daemon struct {
	t     testing.TB
	name  string
	bin   string
	args  []string
	dir   string
	ready func(ctx context.Context) error // nil once the service answers

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the running process has been reaped
	err  error         // its exit status, valid once done is closed
	runs int
	logs []string // files to show on failure
}

// newDaemon prepares a daemon and registers its cleanup: stop the process,
// then show the logs if the test failed. dir must come from t.TempDir
// (called before this, so it is removed after the process is gone).
func newDaemon(t testing.TB, name, bin, dir string, args []string, ready func(context.Context) error) *daemon {
	d := &daemon{t: t, name: name, bin: bin, args: args, dir: dir, ready: ready}
	t.Cleanup(d.dumpIfFailed) // runs last
	t.Cleanup(d.cleanupStop)
	return d
}

// addLog names one more file (the service's own log) to show on failure.
func (d *daemon) addLog(path string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.logs = append(d.logs, path)
}

// start runs the process and waits until ready says it answers. It fails
// the test, with the logs, if the process exits or does not become ready
// in time.
func (d *daemon) start() {
	d.t.Helper()
	if err := d.startErr(); err != nil {
		d.dump()
		d.t.Fatalf("testsvc: %v", err)
	}
}

func (d *daemon) startErr() error {
	d.mu.Lock()
	if d.cmd != nil {
		select {
		case <-d.done: // it died on its own; start it again
			d.cmd = nil
		default:
			d.mu.Unlock()
			return fmt.Errorf("%s: start: already running", d.name)
		}
	}
	d.runs++
	out := filepath.Join(d.dir, fmt.Sprintf("%s-run%d.out", d.name, d.runs))
	f, err := os.Create(out)
	if err != nil {
		d.mu.Unlock()
		return fmt.Errorf("%s: output file: %w", d.name, err)
	}
	d.logs = append(d.logs, out)
	cmd := exec.Command(d.bin, d.args...)
	cmd.Dir = d.dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	setParentDeathSignal(cmd.SysProcAttr)
	if err := cmd.Start(); err != nil {
		f.Close()
		d.mu.Unlock()
		return fmt.Errorf("%s: start %s: %w", d.name, d.bin, err)
	}
	done := make(chan struct{})
	d.cmd, d.done = cmd, done
	d.mu.Unlock()

	// The reaper: owned by this daemon, ends when the process does, which
	// stop and the test's cleanup guarantee.
	go func() {
		err := cmd.Wait()
		f.Close()
		d.mu.Lock()
		d.err = err
		d.mu.Unlock()
		close(done)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var last error
	for {
		select {
		case <-done:
			d.mu.Lock()
			exitErr := d.err
			d.cmd = nil
			d.mu.Unlock()
			return fmt.Errorf("%s exited while starting (%v); last check: %v", d.name, exitErr, last)
		default:
		}
		if last = d.ready(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			d.stopErr()
			return fmt.Errorf("%s not ready after %v: %v", d.name, readyTimeout, last)
		case <-done:
		case <-time.After(pollEvery):
		}
	}
}

// stop ends the running process, if any: SIGTERM, then SIGKILL.
func (d *daemon) stop() {
	d.t.Helper()
	if err := d.stopErr(); err != nil {
		d.t.Fatalf("testsvc: %v", err)
	}
}

func (d *daemon) stopErr() error {
	d.mu.Lock()
	cmd, done := d.cmd, d.done
	d.cmd = nil
	d.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(termTimeout):
	}
	return d.killAndWait(cmd, done)
}

// killAndWait sends SIGKILL and waits until the process is reaped.
func (d *daemon) killAndWait(cmd *exec.Cmd, done <-chan struct{}) error {
	_ = cmd.Process.Kill()
	select {
	case <-done:
		return nil
	case <-time.After(killTimeout):
		return fmt.Errorf("%s (pid %d) still running %v after SIGKILL", d.name, cmd.Process.Pid, killTimeout)
	}
}

func (d *daemon) cleanupStop() {
	if err := d.stopErr(); err != nil {
		d.t.Errorf("testsvc: cleanup: %v", err)
	}
}

func (d *daemon) dumpIfFailed() {
	if d.t.Failed() {
		d.dump()
	}
}

// dump shows the tail of every log file of this daemon.
func (d *daemon) dump() {
	d.mu.Lock()
	logs := append([]string(nil), d.logs...)
	d.mu.Unlock()
	for _, p := range logs {
		tail, err := readTail(p, logTail)
		if err != nil {
			d.t.Logf("testsvc: %s log %s: %v", d.name, p, err)
			continue
		}
		d.t.Logf("testsvc: %s log %s:\n%s", d.name, filepath.Base(p), tail)
	}
}

// readTail returns the last n bytes of a file.
func readTail(path string, n int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	prefix := ""
	if st.Size() > n {
		if _, err := f.Seek(st.Size()-n, io.SeekStart); err != nil {
			return "", err
		}
		prefix = fmt.Sprintf("[... %d bytes cut ...]\n", st.Size()-n)
	}
	b, err := io.ReadAll(f)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return prefix + string(b), nil
}
