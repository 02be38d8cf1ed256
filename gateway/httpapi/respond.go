package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// errorBody is every JSON error answer: {"error": "..."}.
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"could not encode the answer"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, errorBody{Error: fmt.Sprintf(format, args...)})
}

// HTTPStatuser is an error that knows its HTTP status.
type HTTPStatuser interface {
	HTTPStatus() int
}

// ErrorStatuses returns a Config.ErrorStatus that maps each error of m
// (matched with errors.Is) to its status, for example
// {escalate.ErrNotFound: 404, escalate.ErrForbidden: 403}.
func ErrorStatuses(m map[error]int) func(error) int {
	return func(err error) int {
		for target, code := range m {
			if errors.Is(err, target) {
				return code
			}
		}
		return 0
	}
}

// statusOf is the HTTP status for an error of the desk.
func (s *Server) statusOf(err error) int {
	var hs HTTPStatuser
	if errors.As(err, &hs) {
		if c := hs.HTTPStatus(); c >= 400 && c <= 599 {
			return c
		}
	}
	if s.cfg.ErrorStatus != nil {
		if c := s.cfg.ErrorStatus(err); c >= 400 && c <= 599 {
			return c
		}
	}
	if errors.Is(err, alarm.ErrTransition) {
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// deskError answers with the status of err. A 5xx is logged and its
// details stay in the log; a 4xx tells the caller what was wrong, and a
// 403 is audited.
func (s *Server) deskError(w http.ResponseWriter, r *http.Request, err error) {
	code := s.statusOf(err)
	if code >= 500 {
		s.log.Error("http api: desk failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, code, "internal error (see the gateway log)")
		return
	}
	if code == http.StatusForbidden {
		s.refuse(w, r, code, refusedForbidden, "", err.Error())
		return
	}
	writeError(w, code, "%v", err)
}
