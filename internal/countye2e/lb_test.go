package countye2e

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// balancer is the county's load balancer in small, as deploy/county's
// HAProxy is for MQTT: it accepts on a loopback port and forwards each
// connection to the next node that accepts one (round robin, skipping a
// node that refuses), so that clients of a killed node reconnect to the
// others. A connection whose node dies is closed on the client's side.
type balancer struct {
	addr  string
	nodes []string
	ln    net.Listener

	mu    sync.Mutex
	next  int
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newBalancer(t *testing.T, nodes []string) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{addr: ln.Addr().String(), nodes: nodes, ln: ln, conns: map[net.Conn]struct{}{}}
	b.wg.Go(b.accept)
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

func (b *balancer) url() string { return "tcp://" + b.addr }

func (b *balancer) accept() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Go(func() { b.forward(c) })
	}
}

func (b *balancer) forward(c net.Conn) {
	b.mu.Lock()
	start := b.next
	b.next = (b.next + 1) % len(b.nodes)
	b.mu.Unlock()
	var up net.Conn
	for i := range b.nodes {
		n, err := net.DialTimeout("tcp", b.nodes[(start+i)%len(b.nodes)], 2*time.Second)
		if err == nil {
			up = n
			break
		}
	}
	if up == nil {
		c.Close()
		return
	}
	b.mu.Lock()
	b.conns[c], b.conns[up] = struct{}{}, struct{}{}
	b.mu.Unlock()
	var once sync.WaitGroup
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		dst.Close()
		src.Close()
	}
	once.Go(func() { pipe(up, c) })
	once.Go(func() { pipe(c, up) })
	once.Wait()
	b.mu.Lock()
	delete(b.conns, c)
	delete(b.conns, up)
	b.mu.Unlock()
}
