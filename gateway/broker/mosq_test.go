package broker

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// mosqSub is a running mosquitto_sub, the real client a user has.
type mosqSub struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  []string
	conn chan struct{} // closed at CONNACK 0
	done chan struct{} // closed when the process ended
}

// startSub runs mosquitto_sub -d against addr with args and waits until it
// is connected or has ended (refused), whichever comes first.
func startSub(t *testing.T, addr string, args ...string) *mosqSub {
	t.Helper()
	bin := testsvc.MosquittoClient(t, "mosquitto_sub")
	host, port, _ := strings.Cut(addr, ":")
	ctx, cancel := context.WithCancel(context.Background())
	// stdbuf: mosquitto_sub's debug lines are printf'd, fully buffered
	// into a pipe.
	cmd := exec.CommandContext(ctx, "stdbuf", append([]string{"-oL", bin, "-d", "-h", host, "-p", port, "-k", "60"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &mosqSub{cmd: cmd, conn: make(chan struct{}), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		once := sync.Once{}
		for sc.Scan() {
			s.mu.Lock()
			s.out = append(s.out, sc.Text())
			s.mu.Unlock()
			if strings.Contains(sc.Text(), "received CONNACK (0)") {
				once.Do(func() { close(s.conn) })
			}
		}
		_ = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { cancel(); <-s.done })
	select {
	case <-s.conn:
	case <-s.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("mosquitto_sub %v neither connected nor ended in 20s:\n%s", args, s.output())
	}
	return s
}

// connected reports whether the broker accepted the connection.
func (s *mosqSub) connected() bool {
	select {
	case <-s.conn:
		return true
	default:
		return false
	}
}

// kill ends the client with SIGKILL, so it never sends DISCONNECT and the
// broker publishes its will, and waits for the process to end.
func (s *mosqSub) kill(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		t.Fatal("mosquitto_sub did not end after SIGKILL")
	}
}

// lines returns the output lines that contain substr.
func (s *mosqSub) lines(substr string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ls []string
	for _, l := range s.out {
		if strings.Contains(l, substr) {
			ls = append(ls, l)
		}
	}
	return ls
}

func (s *mosqSub) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.out, "\n")
}
