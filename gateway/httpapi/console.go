package httpapi

import (
	"bytes"
	"embed"
	"errors"
	"net/http"
	"path"
)

// consoleFiles is the security-room console, the wall screen: plain HTML,
// CSS and JS modules, no build step, nothing fetched from elsewhere.
//
//go:embed console/index.html console/*.css console/*.js
var consoleFiles embed.FS

// consolePolicy lets the page load only its own files and talk only to
// this server.
const consolePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// consolePage returns index.html with the auth mode filled in (for the
// reader of the page; the script asks GET /api/v1/session who it is and
// shows its login form when the answer is 401).
func consolePage(auth bool) ([]byte, error) {
	b, err := consoleFiles.ReadFile("console/index.html")
	if err != nil {
		return nil, err
	}
	const mark = `data-auth="?"`
	if !bytes.Contains(b, []byte(mark)) {
		return nil, errors.New("httpapi: console/index.html lacks " + mark)
	}
	return bytes.Replace(b, []byte(mark), []byte(`data-auth="`+onOff(auth)+`"`), 1), nil
}

func (s *Server) handleConsole(w http.ResponseWriter, _ *http.Request) {
	serveStatic(w, "text/html; charset=utf-8", s.page)
}

func (s *Server) handleAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	types := map[string]string{
		".css": "text/css; charset=utf-8",
		".js":  "text/javascript; charset=utf-8",
	}
	ct, ok := types[path.Ext(name)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := consoleFiles.ReadFile(path.Join("console", name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	serveStatic(w, ct, b)
}

func serveStatic(w http.ResponseWriter, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", consolePolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
