package broker

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// connectHeader is the start of a CONNECT packet whose remaining length
// claims n bytes (MQTT's variable-length encoding), and no more.
func connectHeader(n int) []byte {
	b := []byte{0x10}
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}

// closedWithin reports whether the broker closes c within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return err == nil || !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestHugePacketsBeforeLogin is hole 3: four sockets that claimed 250 MB
// CONNECT packets took the process to 2 GB. The broker must not allocate
// what a packet claims beyond max_packet_size: it closes such
// connections at once, and the heap stays flat.
func TestHugePacketsBeforeLogin(t *testing.T) {
	sb := newSecurityBroker(t)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	const n = 8
	var conns []net.Conn
	for range n {
		c, err := net.Dial("tcp", sb.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(connectHeader(250 << 20)); err != nil {
			t.Fatal(err)
		}
		// Some bytes of the "packet", as an attacker trickles them.
		_, _ = c.Write(make([]byte, 1024))
		conns = append(conns, c)
	}
	for i, c := range conns {
		if !closedWithin(c, 20*time.Second) {
			t.Errorf("socket %d claiming 250 MB is still open after 20s", i)
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// Generous: one 250 MB allocation would be far beyond it.
	if grew := int64(after.TotalAlloc) - int64(before.TotalAlloc); grew > 64<<20 {
		t.Errorf("the broker allocated %d MB for %d sockets claiming 250 MB each", grew>>20, n)
	}
	testsvc.Eventually(t, 10*time.Second, "too_large counted", func() bool { return sb.refused("too_large") == n })
}

// TestSilentConnectionsAreClosed: a socket that never sends a CONNECT is
// closed after connect_timeout (mochi alone waits forever), and at most
// max_connecting such sockets are held at once.
func TestSilentConnectionsAreClosed(t *testing.T) {
	addr := freeAddr(t)
	b, _ := startBroker(t, Config{Listen: addr, Handler: &recorder{}, TopicRoot: "gridwatch/v1",
		Users: plainUsers("lb-0001", "pw"), ConnectTimeout: time.Second, MaxConnecting: 2})
	var conns []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	// The third is over max_connecting: closed at once; the first two
	// after the timeout.
	for i, c := range conns {
		if !closedWithin(c, 20*time.Second) {
			t.Errorf("silent socket %d still open after 20s", i)
		}
	}
	testsvc.Eventually(t, 10*time.Second, "refusals counted", func() bool {
		return testutilValue(b, "connect_timeout") == 2 && testutilValue(b, "connecting_limit") == 1
	})
	// Slots are given back: a real client gets in.
	dev := startSub(t, addr, "-i", "lb-0001", "-u", "lb-0001", "-P", "pw", "-t", "gridwatch/v1/dev/lb-0001/cmd")
	if !dev.connected() {
		t.Fatalf("a device could not connect after the silent sockets went:\n%s", dev.output())
	}
}

// TestStopDoesNotWaitForSilentSockets: a socket that never sent its
// CONNECT does not hold up the broker's stop (mochi waits for every
// connection it accepted).
func TestStopDoesNotWaitForSilentSockets(t *testing.T) {
	addr := freeAddr(t)
	_, stop := startBroker(t, Config{Listen: addr, AllowAnonymous: true, Handler: &recorder{}, ConnectTimeout: 5 * time.Minute})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(100 * time.Millisecond) // accepted
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(time.Minute):
		t.Fatal("the broker did not stop within a minute while a silent socket was open")
	}
	if !closedWithin(c, 10*time.Second) {
		t.Error("the silent socket was left open")
	}
}
