package testsvc

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"
)

// TestProxy: bytes go through both ways; Cut ends the open connection and
// refuses new ones; Restore forwards again.
func TestProxy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // an echo server
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	p := NewProxy(t, ln.Addr().String())
	echo := func() (net.Conn, error) {
		c, err := net.DialTimeout("tcp", p.Addr, 5*time.Second)
		if err != nil {
			return nil, err
		}
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("ping\n")); err != nil {
			c.Close()
			return nil, err
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "ping\n" {
			c.Close()
			return nil, err
		}
		return c, nil
	}
	open, err := echo()
	if err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	defer open.Close()
	p.Cut()
	if _, err := open.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("an open connection after Cut: %v, want it closed", err)
	}
	if c, err := echo(); err == nil {
		c.Close()
		t.Error("a new connection got through a cut proxy")
	}
	p.Restore()
	c, err := echo()
	if err != nil {
		t.Fatalf("after Restore: %v", err)
	}
	c.Close()
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
