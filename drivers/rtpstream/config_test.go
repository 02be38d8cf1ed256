package rtpstream

import (
	"bytes"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestSampleIsTheDefaults keeps testdata/camera.sample.yaml honest: it
// must decode, be valid, and say exactly the defaults.
func TestSampleIsTheDefaults(t *testing.T) {
	b, err := os.ReadFile("testdata/camera.sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("sample: %v", err)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("sample: %v", err)
	}
	want := Config{Device: "cam-0001", Listen: "0.0.0.0:5004"}.withDefaults()
	if got != want {
		t.Errorf("sample\n %+v\nis not the defaults\n %+v", got, want)
	}
}
