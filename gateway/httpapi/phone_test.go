package httpapi

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestPhoneAppFiles: /m/ serves the app and only its files, each with
// its type and a policy that lets it load its manifest and service worker
// from here and nothing from elsewhere; every file the page, the worker
// and the manifest name is served.
func TestPhoneAppFiles(t *testing.T) {
	s := newServer(t, testConfig(newFakeDesk(), nil))
	get := func(path string) (int, string, http.Header) { return call(t, s.Handler(), "GET", path, "", "", "") }

	code, page, h := get("/m/")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(page, `<html lang="zh-CN">`) {
		t.Fatalf("GET /m/: %d %s %.200s", code, h.Get("Content-Type"), page)
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "manifest-src 'self'", "worker-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("policy %q lacks %q", csp, want)
		}
	}
	if code, _, h := get("/m"); code != http.StatusMovedPermanently || h.Get("Location") != "/m/" {
		t.Errorf("GET /m: %d to %q, want a redirect to /m/", code, h.Get("Location"))
	}
	for _, path := range []string{"/m/console.js", "/m/../console/console.js", "/m/phone.go", "/m/index.html"} {
		if code, _, _ := get(path); code == 200 {
			t.Errorf("GET %s: 200; want it refused", path)
		}
	}

	_, sw, _ := get("/m/sw.js")
	_, manifest, _ := get("/m/manifest.webmanifest")
	_, js, _ := get("/m/phone.js")
	named := map[string]bool{}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`(?:href|src)="([^"]+)"`),        // the page
		regexp.MustCompile(`"((?:\./)?[a-z0-9]+\.[a-z]+)"`), // the worker's shell list and the manifest
		regexp.MustCompile(`from "\./([a-z0-9]+\.js)"`),     // the modules
	} {
		for _, text := range []string{page, sw, manifest, js} {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				named[strings.TrimPrefix(m[1], "./")] = true
			}
		}
	}
	for _, want := range []string{"phone.css", "phone.js", "i18n.js", "nav.js", "manifest.webmanifest", "icon.svg", "sw.js"} {
		if !named[want] {
			t.Errorf("%s is named by none of the app's files (found %v)", want, named)
		}
	}
	for name := range named {
		if strings.Contains(name, ":") || strings.HasPrefix(name, "/") || name == "" {
			t.Errorf("the app names %q: nothing may come from elsewhere", name)
			continue
		}
		ct, ok := phoneTypes[name]
		if !ok {
			if regexp.MustCompile(`\.(js|css|svg|png|webmanifest|html)$`).MatchString(name) {
				t.Errorf("the app names %s, which /m/ does not serve", name)
			}
			continue // not a file (a JSON value of the manifest)
		}
		code, body, h := get("/m/" + name)
		if code != 200 || h.Get("Content-Type") != ct || body == "" {
			t.Errorf("GET /m/%s: %d %q, want 200 %q", name, code, h.Get("Content-Type"), ct)
		}
	}
}
