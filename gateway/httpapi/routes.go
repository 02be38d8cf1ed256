package httpapi

import (
	"net/http"
	"strings"

	"github.com/gridwatch/gridwatch/gateway/permit"
)

// routes lays out the endpoints. Every /api/ route is behind the token
// check; the method-less patterns answer other methods with a JSON 405.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", s.handleReady)
	if s.cfg.Metrics != nil {
		mux.Handle("GET /metrics", s.cfg.Metrics)
	}

	api := []route{
		{"GET", "/api/v1/alarms", s.handleAlarms},
		{"GET", "/api/v1/alarms/{id}", s.handleAlarm},
		{"POST", "/api/v1/alarms/{id}/{action}", s.handleAct},
		{"GET", "/api/v1/devices", s.handleDevices},
		{"GET", "/api/v1/stream", s.handleStream},
	}
	if s.cfg.Oversight != nil {
		api = append(api, []route{
			{"GET", "/api/v1/emergency", s.handleEmergencies},
			{"POST", "/api/v1/emergency", s.handleSetEmergency},
			{"GET", "/api/v1/audit", s.handleAudit},
		}...)
	}
	if s.cfg.Broadcasts != nil {
		api = append(api, []route{
			{"GET", "/api/v1/broadcasts", s.handleBroadcasts},
			{"POST", "/api/v1/broadcasts", s.handleSendBroadcast},
			{"GET", "/api/v1/broadcasts/{id}", s.handleBroadcast},
		}...)
	}
	if s.cfg.Rules != nil {
		api = append(api, []route{
			{"GET", "/api/v1/rules", s.handleRuleSet},
			{"POST", "/api/v1/rules/reload", s.handleReloadRules},
			{"GET", "/api/v1/silences", s.handleSilences},
			{"POST", "/api/v1/silences", s.handleSetSilence},
			{"DELETE", "/api/v1/silences/{id}", s.handleRemoveSilence},
		}...)
	}
	if s.cfg.Cards != nil {
		api = append(api, route{"GET", "/api/v1/cards", s.handleCards})
	}
	var paths []string
	allow := map[string]string{}
	for _, r := range api {
		mux.Handle(r.method+" "+r.path, s.authed(r.h))
		m := r.method
		if m == "GET" {
			m = "GET, HEAD"
		}
		if allow[r.path] == "" {
			paths = append(paths, r.path)
			allow[r.path] = m
		} else {
			allow[r.path] += ", " + m
		}
	}
	for _, p := range paths {
		mux.Handle(p, s.authed(methodNotAllowed(allow[p])))
	}
	mux.Handle("/api/", s.authed(func(w http.ResponseWriter, r *http.Request, _ permit.Caller) {
		writeError(w, http.StatusNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
	}))

	mux.HandleFunc("GET /{$}", s.handleConsole)
	mux.HandleFunc("GET /console/{file}", s.handleAsset)
	return mux
}

// route is one /api/ endpoint.
type route struct {
	method, path string
	h            apiHandler
}

func methodNotAllowed(allow string) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, _ permit.Caller) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow)
	}
}

func (s *Server) handleReady(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			writeText(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
	}
	writeText(w, http.StatusOK, "ready")
}

func writeText(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write([]byte(strings.TrimRight(msg, "\n") + "\n"))
}
