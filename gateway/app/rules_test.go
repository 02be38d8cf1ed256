package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/app"
	"github.com/gridwatch/gridwatch/gateway/config"
)

// TestRulesFileFromConfig: the config's rules file replaces the built-in
// set, and a bad one stops the gateway at start with every problem.
func TestRulesFileFromConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Rules = filepath.Join(dir, "rules.yaml")
	os.WriteFile(cfg.Rules, []byte("rules:\n  - {id: panic, types: [button.pressed], severity: purple, title: x}\n  - {id: panic, types: [Door.*], severity: red, title: y}\n"), 0o600)
	_, err := app.New(cfg, nil)
	if err == nil {
		t.Fatal("a bad rules file was accepted")
	}
	for _, want := range []string{"rules.yaml:2", "rules.yaml:3", "purple"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}

	os.WriteFile(cfg.Rules, []byte("rules:\n  - {id: door, types: [door.forced], severity: orange, title: \"{{device}} 门被强行打开\"}\n"), 0o600)
	if _, err := app.New(cfg, nil); err != nil {
		t.Fatalf("a good rules file was refused: %v", err)
	}
}
