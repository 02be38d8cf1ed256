package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/gridwatch/gridwatch/gateway/devices"
)

func TestDevices(t *testing.T) {
	list := fakeDevices{
		{ID: "cam-0001", Kind: "camera", Grid: "g1", Registered: true, State: devices.Offline, LastSeenMS: 5},
		{ID: "lb-0001", Kind: "lightbox", Grid: "g1", Registered: true, State: devices.Online, LastSeenMS: 9,
			Telemetry: map[string]any{"battery_v": 12.4}, TelemetryMS: 9},
		{ID: "lb-0002", Kind: "lightbox", Grid: "g1", Registered: true, State: devices.Unknown},
		{ID: "stray", State: devices.Unregistered, Topic: "gridwatch/v1/dev/stray/evt", Rejected: 3},
	}
	s := newServer(t, testConfig(newFakeDesk(), func(c *Config) { c.Devices = list }))
	code, body, _ := call(t, s.Handler(), "GET", "/api/v1/devices", wangToken, "", "")
	var out struct {
		Devices []devices.Status `json:"devices"`
		Counts  map[string]int   `json:"counts"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil || code != 200 {
		t.Fatalf("got %d %s (%v)", code, body, err)
	}
	want := map[string]int{"online": 1, "offline": 1, "unknown": 1, "unregistered": 1}
	for k, n := range want {
		if out.Counts[k] != n {
			t.Errorf("counts[%s] = %d, want %d (all: %v)", k, out.Counts[k], n, out.Counts)
		}
	}
	if len(out.Devices) != 4 || out.Devices[1].Telemetry["battery_v"] != 12.4 || out.Devices[3].Topic == "" {
		t.Errorf("devices: got %+v", out.Devices)
	}
	if code, _, _ := call(t, s.Handler(), "GET", "/api/v1/devices?state=online", wangToken, "", ""); code != 400 {
		t.Errorf("query parameter: got %d, want 400", code)
	}

	empty := newServer(t, testConfig(newFakeDesk(), func(c *Config) { c.Devices = fakeDevices(nil) }))
	if _, body, _ := call(t, empty.Handler(), "GET", "/api/v1/devices", wangToken, "", ""); body != `{"devices":[],"counts":{"offline":0,"online":0,"unknown":0,"unregistered":0}}`+"\n" {
		t.Errorf("no devices: got %s", body)
	}
}
