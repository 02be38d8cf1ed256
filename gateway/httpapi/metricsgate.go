package httpapi

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// metricsGate guards /metrics with the scraper's bearer token when the
// config sets one (Config.MetricsToken): the gateway's metrics name every
// device, staff member and cell, which is more than whoever reaches a
// network listener should read. A missing or wrong token is a 401,
// counted and audited like the API's. Without a token /metrics is open,
// as Prometheus expects by default.
func (s *Server) metricsGate(h http.Handler) http.Handler {
	want := []byte(s.cfg.MetricsToken)
	if len(want) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			s.audit(r, refusedMetricsToken, "", "/metrics without its bearer token")
			w.Header().Set("WWW-Authenticate", `Bearer realm="gridwatch metrics"`)
			writeText(w, http.StatusUnauthorized, "401 unauthorized: /metrics needs the scraper's bearer token (http.metrics_token)")
			return
		}
		h.ServeHTTP(w, r)
	})
}
