package runner

import (
	"encoding/json"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

// TestLastSeenKeepsTheLatestOfEachDevice: a save keeps the record of
// devices not heard from since the start and takes the newer stamp of the
// others; a record that cannot be read costs only itself, never the start.
func TestLastSeenKeepsTheLatestOfEachDevice(t *testing.T) {
	tests := []struct {
		name    string
		file    string // "" for none
		tracker map[string]int64
		want    map[string]int64
	}{
		{"first start", "", map[string]int64{"lb-0001": 5}, map[string]int64{"lb-0001": 5}},
		{"merged", `{"lb-0001":5,"lb-0002":9}`, map[string]int64{"lb-0001": 7, "rd-0001": 3},
			map[string]int64{"lb-0001": 7, "lb-0002": 9, "rd-0001": 3}},
		{"an older stamp changes nothing", `{"lb-0001":8}`, map[string]int64{"lb-0001": 7}, map[string]int64{"lb-0001": 8}},
		{"damaged record", `{"lb-0001":`, map[string]int64{"rd-0001": 3}, map[string]int64{"rd-0001": 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), lastSeenFile)
			if tt.file != "" {
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			l := &lastSeen{path: path, devices: &tracker{seen: tt.tracker}, log: slog.New(slog.DiscardHandler)}
			if _, err := l.load(); err != nil {
				t.Fatalf("load: %v", err)
			}
			if err := l.save(); err != nil {
				t.Fatalf("save: %v", err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]int64
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("saved record %q: %v", b, err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("saved %v, want %v", got, tt.want)
			}
		})
	}
}
