package osdp

import (
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func loadSample(t *testing.T, path string) Config {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// TestSampleConfigs: the sample in the README is valid as written; the bad
// fixture draws every one of its problems at once.
func TestSampleConfigs(t *testing.T) {
	good := loadSample(t, "testdata/bus.sample.yaml")
	if err := good.Validate(); err != nil {
		t.Fatalf("sample config: %v", err)
	}
	if good.RetryWait != 800*time.Millisecond || len(good.PDs) != 3 || good.PDs[1].Format != "h10306" || good.PDs[1].Key == "" ||
		good.PDs[0].Door == nil || len(good.PDs[0].Door.Cards) != 3 || good.PDs[0].Door.Cards[2].Until.Year() != 2027 ||
		!good.PDs[1].Provision || !good.PDs[0].Door.REXUnlocks || good.PDs[0].Door.rexInput() != 1 || good.PDs[0].Door.HeldOpen != 30*time.Second {
		t.Fatalf("sample decoded as %+v", good)
	}
	err := loadSample(t, "testdata/bus.bad.yaml").Validate()
	if err == nil {
		t.Fatal("bad fixture accepted")
	}
	for _, want := range []string{"no port", "baud 14400", "retry_wait -1s is negative", `unknown format "wiegand26"`,
		"address 1 already used by rd-0001", "pds[2] (): no device id", "address 130 outside 0-126",
		"pds[3] (rd-0004): provision needs the key", "pds[4] (rd-0005): door rex input 1", `contact_open "high"`, "held_open -1s is negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("bad fixture: error does not say %q:\n%v", want, err)
		}
	}
}
