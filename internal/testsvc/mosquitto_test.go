package testsvc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedMosquittoConfigHasTheSettings keeps the Mosquitto config the
// repository ships in step with the settings every external-broker test
// runs under (MosquittoSettings).
func TestShippedMosquittoConfigHasTheSettings(t *testing.T) {
	path := filepath.Join("..", "..", "deploy", "compose", "mosquitto.conf")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for l := range strings.Lines(string(b)) {
		lines[strings.Join(strings.Fields(l), " ")] = true
	}
	for want := range strings.Lines(MosquittoSettings) {
		if want = strings.TrimSpace(want); !lines[want] {
			t.Errorf("%s: missing %q", path, want)
		}
	}
}
