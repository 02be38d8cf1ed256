package app_test

import (
	"os"
	"strings"
	"testing"

	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestRegistryReload adopts a new device on reload, and keeps the running
// registry when the new file is bad, saying every problem with its line.
func TestRegistryReload(t *testing.T) {
	s := startSite(t, siteOptions{})
	phones := s.phones("chen")
	dev := s.client("lb-0004", true, nil)

	s.press(dev, "lb-0004", 1) // not in the registry yet
	if !strings.Contains(s.metrics(), `gridwatch_ingest_rejected_total{reason="unknown_device",transport="embedded"} 1`) {
		t.Fatal("a press from an unregistered device was not refused as unknown_device")
	}

	added := siteRegistry + "  - {id: lb-0004, kind: lightbox, grid: lh-g4-08, name: 荷塘街9号}\n"
	if err := os.WriteFile(s.cfg.Registry, []byte(added), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.app.ReloadRegistry(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	s.press(dev, "lb-0004", 2)
	testsvc.Eventually(t, wait, "the adopted device pages its cell", func() bool { return len(phones["chen"].all()) == 1 })

	bad := added + "  - {id: lb-0005, kind: lightbox, grid: lh-g4-99}\n  - {id: lb-0006, kind: toaster, grid: lh-g4-08}\n"
	if err := os.WriteFile(s.cfg.Registry, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.app.ReloadRegistry()
	if err == nil {
		t.Fatal("a bad registry was accepted")
	}
	for _, want := range []string{`registry.yaml:20: device lb-0005: unknown grid "lh-g4-99"`, `registry.yaml:21: device lb-0006: unknown kind "toaster"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("reload error lacks %q:\n%v", want, err)
		}
	}
	// The old registry stays in force: lb-0004 still pages after the refusal.
	if code, body := s.post("/api/v1/alarms/"+phones["chen"].all()[0].AlarmID+"/resolve", `{"by":"chen"}`); code != 200 {
		t.Fatalf("resolve: %d %s", code, body)
	}
	s.press(dev, "lb-0004", 3)
	testsvc.Eventually(t, wait, "still paging after a refused reload", func() bool { return len(phones["chen"].all()) == 2 })
}
