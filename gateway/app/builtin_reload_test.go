package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/config"
)

// otherSite is a registry with none of the ids the built-in rules' test
// cases name.
const otherSite = `
grids:
  - {id: north,     name: 北区, level: 3}
  - {id: gate-cell, name: 北门, level: 4, parent: north}
staff:
  - {id: room1, name: 北区监控室, role: security_room, grids: [north]}
devices:
  - {id: box-01, kind: lightbox, grid: gate-cell, heartbeat: 10s}
  - {id: cam-01, kind: camera,   grid: gate-cell, heartbeat: 10s}
`

// TestBuiltinRulesReloadOnAnySite: a reload of the built-in rules (over
// the API; and on SIGHUP of a rule file that is a copy of them) is
// accepted on the demo site and on a site with none of the ids their test
// cases name: the cases run on the file's own fixture, not on the site's
// registry.
func TestBuiltinRulesReloadOnAnySite(t *testing.T) {
	demo, err := os.ReadFile("../../deploy/demo/registry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The demo's cameras listen for RTP on fixed ports; a test must not.
	demoNoRTP := regexp.MustCompile(`, rtp: \{[^}]*\}`).ReplaceAll(demo, nil)
	builtin, err := os.ReadFile("../../rules/rulefile/builtin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		registry []byte
	}{
		{"demo site", demoNoRTP},
		{"none of the test ids", []byte(otherSite)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSite(t, siteOptions{mutate: func(cfg *config.Config) {
				if err := os.WriteFile(cfg.Registry, tc.registry, 0o600); err != nil {
					t.Fatal(err)
				}
			}})
			code, body := s.post("/api/v1/rules/reload", `{"by":"room1"}`)
			if code != http.StatusOK || !strings.Contains(body, `"built-in"`) {
				t.Fatalf("reload of the built-in rules: %d %s", code, body)
			}

			// A site that starts from a copy of the built-in file, reloaded
			// as on SIGHUP.
			s.stop()
			s.cfg.Rules = filepath.Join(filepath.Dir(s.cfg.Registry), "rules.yaml")
			if err := os.WriteFile(s.cfg.Rules, builtin, 0o600); err != nil {
				t.Fatal(err)
			}
			s.start()
			if err := s.app.Reload(); err != nil {
				t.Fatalf("SIGHUP reload of a copy of the built-in rules: %v", err)
			}
		})
	}
}
