package broker

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/gridwatch/gridwatch/gateway/ratelog"
)

// listener is a TCP (or TLS) listener that bounds what a connection costs
// before it has logged in: it must send a valid CONNECT within
// connectTimeout (mochi itself waits forever), and at most maxPending
// connections may be between accept and their CONNACK at once; more are
// closed at accept. Packet sizes are bounded by the server's
// MaximumPacketSize, which mochi checks before it allocates.
type listener struct {
	id, addr       string
	tls            *tls.Config
	connectTimeout time.Duration
	writeTimeout   time.Duration // see pendingConn.Write
	pending        chan struct{} // one token per connection not yet answered
	refused        func(reason string)
	// closeClients disconnects the clients of this listener at Close
	// (disconnectListener), instead of the server's own function.
	closeClients func(id string)
	log          *ratelog.Limiter
	debug        *slog.Logger

	mu    sync.Mutex
	ln    net.Listener
	conns map[*pendingConn]struct{} // not yet answered, closed by Close
	end   atomic.Bool
	wg    sync.WaitGroup // the connection goroutines
}

var _ listeners.Listener = (*listener)(nil)

func (l *listener) ID() string       { return l.id }
func (l *listener) Protocol() string { return "tcp" }

func (l *listener) Address() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		return l.ln.Addr().String()
	}
	return l.addr
}

// Init opens the address.
func (l *listener) Init(*slog.Logger) error {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.ln = ln
	l.mu.Unlock()
	return nil
}

// Serve accepts connections until Close, handing each to establish on its
// own goroutine (mochi waits for them through its client wait group).
func (l *listener) Serve(establish listeners.EstablishFn) {
	for {
		raw, err := l.ln.Accept()
		if err != nil {
			return
		}
		if l.end.Load() {
			_ = raw.Close()
			return
		}
		select {
		case l.pending <- struct{}{}:
		default:
			l.refused("connecting_limit")
			l.log.Warn("connecting-limit", "MQTT connection closed at accept: too many connections have not logged in yet",
				"limit", cap(l.pending), "remote", raw.RemoteAddr().String())
			_ = raw.Close()
			continue
		}
		_ = raw.SetDeadline(time.Now().Add(l.connectTimeout))
		var c net.Conn = raw
		if l.tls != nil {
			c = tls.Server(raw, l.tls)
		}
		pc := &pendingConn{Conn: c, writeTimeout: l.writeTimeout}
		pc.release = func() {
			<-l.pending
			l.mu.Lock()
			delete(l.conns, pc)
			l.mu.Unlock()
		}
		l.mu.Lock()
		if l.end.Load() {
			l.mu.Unlock()
			_ = raw.Close()
			<-l.pending
			return
		}
		l.conns[pc] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		go func() {
			defer l.wg.Done()
			err := establish(l.id, pc)
			pc.done()
			l.report(err, raw.RemoteAddr().String())
		}()
	}
}

// report counts and logs how a connection that never got a session ended.
func (l *listener) report(err error, remote string) {
	if err == nil {
		return
	}
	var code packets.Code
	switch {
	case errors.Is(err, packets.ErrPacketTooLarge):
		l.refused("too_large")
		l.log.Warn("too-large", "MQTT connection closed: a packet is larger than mqtt.embedded.max_packet_size", "remote", remote)
	case !strings.HasPrefix(err.Error(), "read connection"):
		// Ended after CONNECT: a refusal (counted and logged by the
		// guard) or an ordinary disconnect.
		if !errors.As(err, &code) {
			l.debug.Debug("MQTT client connection ended", "remote", remote, "err", err)
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		l.refused("connect_timeout")
		l.log.Warn("connect-timeout", "MQTT connection closed: no CONNECT in time", "timeout", l.connectTimeout, "remote", remote)
	default:
		l.refused("bad_connect")
		l.log.Warn("bad-connect", "MQTT connection closed before a valid CONNECT", "remote", remote, "err", clip(err.Error()))
	}
}

// Close stops accepting, closes this listener's clients and the
// connections that have not logged in yet (mochi would wait for those
// until their CONNECT deadline), and waits for their goroutines.
func (l *listener) Close(closeClients listeners.CloseFn) {
	if l.end.CompareAndSwap(false, true) {
		if l.closeClients != nil {
			closeClients = l.closeClients
		}
		closeClients(l.id)
	}
	l.mu.Lock()
	if l.ln != nil {
		_ = l.ln.Close()
	}
	for pc := range l.conns {
		_ = pc.Conn.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// pendingConn gives back its listener's token at the first write (the
// broker's first write on a connection is its CONNACK) or when the
// connection ends, whichever comes first.
type pendingConn struct {
	net.Conn
	writeTimeout time.Duration
	deadlineSet  atomic.Int64 // unix nanoseconds when the write deadline was last moved
	release      func()
	once         sync.Once
}

func (c *pendingConn) done() { c.once.Do(c.release) }

// Write gives each write writeTimeout (less up to a second) to go out. A
// client that takes in nothing for that long is dropped (its connection
// closed: part of a packet may be out), so it holds nobody up for longer:
// mochi writes to a client holding that client's lock, which the
// broker's next message to it waits for, and so the gateway's publishes
// to it and the retained gate (retaingate.go). The deadline is moved at
// most once a second, not at every write (a page is one write).
func (c *pendingConn) Write(b []byte) (int, error) {
	c.done()
	if c.writeTimeout > 0 {
		now := time.Now()
		if set := c.deadlineSet.Load(); now.UnixNano()-set > int64(time.Second) && c.deadlineSet.CompareAndSwap(set, now.UnixNano()) {
			_ = c.Conn.SetWriteDeadline(now.Add(c.writeTimeout))
		}
	}
	n, err := c.Conn.Write(b)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		_ = c.Conn.Close()
	}
	return n, err
}

// SetDeadline is mochi's keepalive deadline, which it moves after every
// packet read: it bounds reads only, as Write bounds writes.
func (c *pendingConn) SetDeadline(t time.Time) error {
	if c.writeTimeout > 0 {
		return c.Conn.SetReadDeadline(t)
	}
	return c.Conn.SetDeadline(t)
}

func (c *pendingConn) Close() error {
	c.done()
	return c.Conn.Close()
}

// disconnectListener disconnects every client of listener id, as mochi's
// own closeListenerClients does — but without its Clients.GetByListener,
// which takes the clients' read lock twice and so deadlocks the server's
// Close when a client disconnects at that moment (a writer then waits
// between the two read locks; seen as a test hung for 20 minutes).
// Clients.GetAll takes the lock once and copies.
func disconnectListener(srv *mqtt.Server, id string) {
	for _, cl := range srv.Clients.GetAll() {
		if cl.Net.Listener == id && !cl.Closed() {
			_ = srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
		}
	}
}
