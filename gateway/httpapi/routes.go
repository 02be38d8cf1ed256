package httpapi

import (
	"net/http"
	"strings"

	"github.com/gridwatch/gridwatch/gateway/permit"
)

// routes lays out the endpoints. Every /api/ route but the login is
// behind identify (a bearer token or a session); the method-less patterns
// answer other methods with a JSON 405.
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
		{method: "POST", path: "/api/v1/session", plain: s.handleLogin},
		{method: "GET", path: "/api/v1/session", plain: s.handleWhoami},
		{method: "DELETE", path: "/api/v1/session", plain: s.handleLogout},
		{method: "GET", path: "/api/v1/alarms", h: s.handleAlarms},
		{method: "GET", path: "/api/v1/alarms/{id}", h: s.handleAlarm},
		{method: "POST", path: "/api/v1/alarms/{id}/{action}", h: s.handleAct},
		{method: "GET", path: "/api/v1/devices", h: s.handleDevices},
		{method: "GET", path: "/api/v1/site", h: s.handleSite},
		{method: "GET", path: "/api/v1/stream", h: s.handleStream},
	}
	api = append(api, s.phoneAPI()...)
	if s.cfg.County != nil {
		api = s.countyRoutes(api)
	}
	if s.cfg.Oversight != nil {
		api = append(api, []route{
			{method: "GET", path: "/api/v1/emergency", h: s.handleEmergencies},
			{method: "POST", path: "/api/v1/emergency", h: s.handleSetEmergency},
			{method: "GET", path: "/api/v1/audit", h: s.handleAudit},
		}...)
	}
	if s.cfg.Broadcasts != nil {
		api = append(api, []route{
			{method: "GET", path: "/api/v1/broadcasts", h: s.handleBroadcasts},
			{method: "POST", path: "/api/v1/broadcasts", h: s.handleSendBroadcast},
			{method: "GET", path: "/api/v1/broadcasts/{id}", h: s.handleBroadcast},
		}...)
	}
	if s.cfg.Rules != nil {
		api = append(api, []route{
			{method: "GET", path: "/api/v1/rules", h: s.handleRuleSet},
			{method: "POST", path: "/api/v1/rules/reload", h: s.handleReloadRules},
			{method: "GET", path: "/api/v1/silences", h: s.handleSilences},
			{method: "POST", path: "/api/v1/silences", h: s.handleSetSilence},
			{method: "DELETE", path: "/api/v1/silences/{id}", h: s.handleRemoveSilence},
		}...)
	}
	if s.cfg.Clips != nil {
		api = append(api, route{method: "GET", path: "/api/v1/alarms/{id}/clips/{file}", h: s.handleClip})
	}
	if s.cfg.Cards != nil {
		api = append(api, route{method: "GET", path: "/api/v1/cards", h: s.handleCards})
	}
	// Installers' tools: device commands and commissioning.
	if s.cfg.Commands != nil {
		api = append(api, route{method: "POST", path: "/api/v1/devices/{id}/commands", h: s.handleDeviceCommand})
	}
	if s.cfg.Commissioning != nil {
		api = append(api, []route{
			{method: "GET", path: "/api/v1/commissioning", h: s.handleCommissionings},
			{method: "POST", path: "/api/v1/commissioning", h: s.handleStartCommissioning},
			{method: "GET", path: "/api/v1/commissioning/{id}", h: s.handleCommissioning},
			{method: "DELETE", path: "/api/v1/commissioning/{id}", h: s.handleEndCommissioning},
		}...)
	}
	var paths []string
	allow := map[string]string{}
	for _, r := range api {
		if r.plain != nil {
			mux.HandleFunc(r.method+" "+r.path, r.plain)
		} else {
			mux.Handle(r.method+" "+r.path, s.authed(r.h))
		}
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
	s.phoneFiles(mux)
	return mux
}

// route is one /api/ endpoint: h behind identify, or plain, which
// identifies the caller itself (the session endpoints).
type route struct {
	method, path string
	h            apiHandler
	plain        http.HandlerFunc
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
