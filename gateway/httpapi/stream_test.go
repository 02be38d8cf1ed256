package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/gateway/permit"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// patience bounds every wait for something real (a frame, a shutdown).
const patience = 10 * time.Second

// sse is one event read from a stream; comment lines come as name ":".
type sse struct{ name, data string }

// readEvents parses the stream r into a channel, closed at the end.
func readEvents(r io.Reader) <-chan sse {
	out := make(chan sse, 1024)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					out <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, ":"):
				out <- sse{name: ":", data: line}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return out
}

// next waits for the next event named name, skipping others.
func next(t *testing.T, events <-chan sse, name string) sse {
	t.Helper()
	deadline := time.After(patience)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("stream ended while waiting for %q", name)
			}
			if ev.name == name {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %q event within %v", name, patience)
		}
	}
}

// openStream connects to the stream of the server at base.
func openStream(t *testing.T, base, token string) (<-chan sse, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/v1/stream", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("stream: got %d %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("stream Content-Type %q", ct)
	}
	return readEvents(resp.Body), resp
}

func TestStreamDeliversChanges(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	ts := startServer(t, s)

	if code, _, _ := call(t, s.Handler(), "GET", "/api/v1/stream", "", "", ""); code != 401 {
		t.Fatalf("stream without token: got %d, want 401", code)
	}
	events, _ := openStream(t, ts.URL, wangToken)
	next(t, events, "hello")

	s.PublishAlarm(redAlarm())
	var a alarm.Alarm
	ev := next(t, events, "alarm")
	if err := json.Unmarshal([]byte(ev.data), &a); err != nil || a.ID != "A0001" || a.Severity != "red" {
		t.Fatalf("alarm event %q (%v)", ev.data, err)
	}
	if a.Timeline != nil {
		t.Error("the stream carries the timeline")
	}

	s.PublishDevice(devices.Status{ID: "lb-0001", State: devices.Offline, Version: 2})
	var d devices.Status
	ev = next(t, events, "device")
	if err := json.Unmarshal([]byte(ev.data), &d); err != nil || d.ID != "lb-0001" || d.State != devices.Offline || d.Version != 2 {
		t.Fatalf("device event %q (%v)", ev.data, err)
	}
}

func TestStreamTooManyClients(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	for range maxStreams {
		if c, _ := s.hub.add(permit.Console); c == nil {
			t.Fatal("hub refused a client below the limit")
		}
	}
	code, body, _ := call(t, s.Handler(), "GET", "/api/v1/stream", wangToken, "", "")
	if code != 503 || !strings.Contains(body, "too many stream clients") {
		t.Fatalf("got %d %s, want 503", code, body)
	}
}

// TestSlowClientDoesNotBlock connects a client that never reads, publishes
// far more than its socket buffers hold, and checks that publishing kept
// going, the excess was counted as dropped, and the client is told to
// resync once it reads again.
func TestSlowClientDoesNotBlock(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	ts := startServer(t, s)

	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", wangToken)
	waitFor(t, "the client to be registered", func() bool { return s.hub.n.Load() == 1 })

	big := redAlarm()
	big.Title = strings.Repeat("报", 4000) // 12 KB a frame
	const n = 4000                        // ~48 MB: more than any socket buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			big.ID = fmt.Sprintf("A%05d", i)
			s.PublishAlarm(big)
		}
	}()
	select {
	case <-done:
	case <-time.After(patience):
		t.Fatalf("publishing %d alarms to a stalled client did not finish within %v", n, patience)
	}
	if got := testutil.ToFloat64(s.metrics.dropped); got == 0 {
		t.Fatal("nothing was counted as dropped, though the client read nothing")
	}
	if got := testutil.ToFloat64(s.metrics.resyncs); got < 1 {
		t.Fatalf("resyncs counted: %v, want at least 1", got)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stalled client's response: %v %v", resp, err)
	}
	next(t, readEvents(resp.Body), "resync")
}

func TestStreamKeepAlive(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	s.limits.keepAlive = 20 * time.Millisecond
	ts := startServer(t, s)
	events, _ := openStream(t, ts.URL, wangToken)
	next(t, events, "hello")
	if ev := next(t, events, ":"); ev.data != ": ping" {
		t.Fatalf("comment %q, want \": ping\"", ev.data)
	}
}

// TestServeStreamAndShutdown serves a real listener with a short read
// timeout, checks that a stream outlives it, then cancels and checks that
// the stream is told "bye" and Serve returns cleanly.
func TestServeStreamAndShutdown(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	s.limits.read, s.limits.write = 200*time.Millisecond, 200*time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	events, _ := openStream(t, "http://"+ln.Addr().String(), wangToken)
	next(t, events, "hello")
	time.Sleep(600 * time.Millisecond) // well past the read and write timeouts
	s.PublishAlarm(redAlarm())
	next(t, events, "alarm")

	cancel()
	next(t, events, "bye")
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(patience):
		t.Fatal("Serve did not return after cancel")
	}
	select {
	case _, ok := <-events:
		if ok {
			t.Fatal("more after bye")
		}
	case <-time.After(patience):
		t.Fatal("the stream was not closed after bye")
	}
}

// publicListener pretends to listen on a LAN address.
type publicListener struct{ net.Listener }

func (publicListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(192, 168, 1, 10), Port: 8080} }

func TestServeRefusesPublicListenerWhenLoopbackPromised(t *testing.T) {
	for _, auth := range []bool{false, true} {
		s := newServer(t, testConfig(newFakeDesk(), func(c *Config) { c.Auth = auth }))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		err = s.Serve(context.Background(), publicListener{ln})
		if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("auth %v: Serve on 192.168.1.10: got %v, want a refusal", auth, err)
		}
		if _, err := ln.Accept(); err == nil {
			t.Error("the refused listener was left open")
		}
	}
}

// startServer serves s on a test server closed at cleanup, after the
// streams opened later (cleanups run last first).
func startServer(t *testing.T, s *Server) *httptest.Server {
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStreamHead(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	code, body, hdr := call(t, s.Handler(), "HEAD", "/api/v1/stream", wangToken, "", "")
	if code != 200 || body != "" || hdr.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("HEAD: got %d %q %v", code, body, hdr)
	}
}
