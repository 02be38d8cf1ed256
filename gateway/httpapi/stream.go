package httpapi

import (
	"net/http"
	"time"

	"github.com/gridwatch/gridwatch/gateway/permit"
)

// streamWriteTimeout bounds each write to a stream client; a client that
// takes longer is cut off.
const streamWriteTimeout = 10 * time.Second

// Fixed frames of the stream. retry tells EventSource how long to wait
// before reconnecting.
const (
	helloFrame  = "retry: 3000\n\nevent: hello\ndata: {}\n\n"
	resyncFrame = "event: resync\ndata: {}\n\n"
	byeFrame    = "event: bye\ndata: {}\n\n"
	pingFrame   = ": ping\n\n"
)

// handleStream serves GET /api/v1/stream: Server-Sent Events named
// "hello" (connected: now load the lists), "alarm" and "device" (a new
// state, JSON), "emergency" (emergency mode was switched; see
// PublishEmergency), "resync" (events were dropped: load the lists again) and
// "bye" (the gateway is shutting down, or the session ended).
//
// A stream of a login session counts as its use, so a wall screen that
// only watches stays logged in; at every keep-alive the session is looked
// up again, and the stream ends within one keep-alive of the session's end
// (logout, max age, a changed password).
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request, caller permit.Caller) {
	sid, ok := sessionCookie(r)
	if !ok || s.bearerRequest(r) || caller.IsConsole() {
		sid = "" // known by a token, or the console: no session to follow
	}
	c, refused := s.hub.add(caller)
	switch refused {
	case refusedPerUser:
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusTooManyRequests,
			"staff %s already has %d live streams open, the most one person may hold; close one (another tab or screen) and try again",
			caller.ID, s.cfg.StreamsPerUser)
		return
	case refusedFull:
		writeError(w, http.StatusServiceUnavailable, "too many stream clients (at most %d)", maxStreams)
		return
	}
	defer s.hub.remove(c)
	stop, _ := r.Context().Value(stopKey{}).(chan struct{}) // nil outside Serve: never closes

	rc := http.NewResponseController(w)
	// A stream outlives the server's write timeout: send sets a deadline
	// for each write instead. (net/http lifts the read deadline itself
	// while the handler runs.)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if !s.send(w, rc, []byte(helloFrame)) {
		return
	}
	ping := time.NewTicker(s.limits.keepAlive)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-stop:
			s.send(w, rc, []byte(byeFrame))
			return
		case <-ping.C:
			if sid != "" {
				if _, _, reason, _ := s.fromSession(sid); reason != "" {
					s.send(w, rc, []byte(byeFrame))
					return
				}
			}
			if !s.send(w, rc, []byte(pingFrame)) {
				return
			}
		case <-c.wake:
			resync, frames := c.take()
			if resync {
				frames = append([][]byte{[]byte(resyncFrame)}, frames...)
			}
			if !s.send(w, rc, frames...) {
				return
			}
		}
	}
}

// send writes frames and flushes them within streamWriteTimeout. It
// reports whether the client is still there.
func (s *Server) send(w http.ResponseWriter, rc *http.ResponseController, frames ...[]byte) bool {
	_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)) // not every writer has deadlines
	for _, f := range frames {
		if _, err := w.Write(f); err != nil {
			return false
		}
	}
	if err := rc.Flush(); err != nil {
		s.log.Debug("http api: stream flush failed", "err", err)
		return false
	}
	return true
}
