package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that loading never panics and that a config it accepts
// passes Validate.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	env := testEnv(map[string]string{"GW_TEST_TOKEN_LI": "li-token-0123456789", "GW_TEST_MQTT_LB": "pw"})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parse("fuzz.yaml", data, env)
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("accepted a config that Validate rejects: %v", verr)
			}
		}
	})
}
