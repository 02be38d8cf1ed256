package testsvc

import (
	"net"
	"sync"
	"testing"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. The
// port is released before returning, so another process could take it in
// between; services started here fail loudly (with their log) if that
// happens.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("testsvc: find a free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if handedOut.claim(port) {
			return port
		}
	}
	t.Fatal("testsvc: find a free port: the kernel gave only ports already handed out")
	return 0
}

// handedOut is every port FreePort gave in this test binary. The one
// piece of process-wide state in testsvc, on purpose: a port is free only
// until its taker binds it, so two calls in a row (an HTTP and an MQTT
// listener for one daemon) could get the same port from the kernel, and
// did (a daemon refusing "mqtt.embedded.listen is also http.listen").
var handedOut = &portSet{ports: map[int]bool{}}

type portSet struct {
	mu    sync.Mutex
	ports map[int]bool
}

// claim records port and reports whether it was not handed out before.
func (s *portSet) claim(port int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ports[port] {
		return false
	}
	s.ports[port] = true
	return true
}
