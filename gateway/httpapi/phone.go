package httpapi

import (
	"embed"
	"net/http"
	"path"
)

// phoneFiles is the staff phone app at /m/: an installable web app
// (manifest, service worker with an offline shell) in plain HTML, CSS and
// JS, no build step, nothing fetched from elsewhere.
//
//go:embed phone/index.html phone/phone.css phone/phone.js phone/i18n.js phone/nav.js phone/sw.js phone/manifest.webmanifest phone/icon.svg
var phoneFiles embed.FS

// phoneTypes are the app's files and their content types; nothing else
// under /m/ is served.
var phoneTypes = map[string]string{
	"phone.css":            "text/css; charset=utf-8",
	"phone.js":             "text/javascript; charset=utf-8",
	"i18n.js":              "text/javascript; charset=utf-8",
	"nav.js":               "text/javascript; charset=utf-8",
	"sw.js":                "text/javascript; charset=utf-8",
	"manifest.webmanifest": "application/manifest+json",
	"icon.svg":             "image/svg+xml",
}

// phonePolicy is the console's policy plus what an installable app needs:
// its manifest and its service worker, both from this server.
const phonePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// phoneFiles serves the app: /m/ is its page, /m/{file} its assets.
func (s *Server) phoneFiles(mux *http.ServeMux) {
	mux.HandleFunc("GET /m", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/m/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /m/{$}", func(w http.ResponseWriter, r *http.Request) {
		s.servePhoneFile(w, r, "index.html", "text/html; charset=utf-8")
	})
	mux.HandleFunc("GET /m/{file}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		ct, ok := phoneTypes[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		s.servePhoneFile(w, r, name, ct)
	})
}

func (s *Server) servePhoneFile(w http.ResponseWriter, r *http.Request, name, contentType string) {
	b, err := phoneFiles.ReadFile(path.Join("phone", name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	// no-cache: the service worker and the browser revalidate, so a new
	// gateway's app replaces the old one on the next start.
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", phonePolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
