package httpapi

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	requests     *prometheus.CounterVec
	authFailures prometheus.Counter
	streams      prometheus.Gauge
	dropped      prometheus.Counter
	resyncs      prometheus.Counter
	// streamRefused counts streams refused, by reason (full, per_user).
	streamRefused *prometheus.CounterVec
	// hostRefused counts requests refused for their Host header.
	hostRefused prometheus.Counter
	// refused counts requests refused as unauthenticated or forbidden, by
	// reason; logins counts login attempts by result.
	refused  *prometheus.CounterVec
	logins   *prometheus.CounterVec
	sessions prometheus.GaugeFunc
}

// newMetrics builds the collectors and registers them with reg (none when
// reg is nil).
func newMetrics(reg prometheus.Registerer, sessions func() int) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_http_auth_failures_total",
			Help: "API requests refused (401) for missing or invalid credentials: a bearer token or a session.",
		}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gridwatch_http_stream_clients",
			Help: "Clients connected to the event stream.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_http_stream_dropped_total",
			Help: "Stream events dropped because a client fell behind.",
		}),
		resyncs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_http_stream_resyncs_total",
			Help: "Resync events sent to stream clients that fell behind.",
		}),
		streamRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_http_stream_refused_total",
			Help: "Event stream connections refused: full (every slot taken) or per_user (the caller holds all of theirs).",
		}, []string{"reason"}),
		hostRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gridwatch_http_host_refused_total",
			Help: "Requests refused (421) because their Host header names a host this gateway does not answer to (DNS rebinding guard).",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_http_refused_total",
			Help: "API requests refused and audited, by reason: no_credentials, bad_token, no_session, expired_session, account_changed, csrf, forbidden, login_failed, login_throttled.",
		}, []string{"reason"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gridwatch_http_logins_total",
			Help: "Login attempts (POST /api/v1/session), by result: ok, failed, throttled, busy.",
		}, []string{"result"}),
		sessions: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gridwatch_http_sessions",
			Help: "Login sessions held (expired ones not yet swept included).",
		}, func() float64 { return float64(sessions()) }),
	}
	for _, r := range []string{refusedFull, refusedPerUser} {
		m.streamRefused.WithLabelValues(r)
	}
	for _, r := range refusalReasons {
		m.refused.WithLabelValues(r)
	}
	for _, r := range []string{"ok", "failed", "throttled", "busy"} {
		m.logins.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.authFailures, m.streams, m.dropped, m.resyncs, m.streamRefused, m.hostRefused,
		m.refused, m.logins, m.sessions} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("httpapi: register metrics: %w", err)
		}
	}
	return m, nil
}

// count wraps h to count every answer by route pattern and status.
func (s *Server) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		route := r.Pattern // set by the mux on this very request
		if route == "" {
			route = "unmatched"
		}
		if rec.code == 0 {
			rec.code = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
	})
}

// recorder remembers the status code written. Unwrap lets
// http.ResponseController reach the connection (flush, deadlines).
type recorder struct {
	http.ResponseWriter
	code int
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
