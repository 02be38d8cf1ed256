package app_test

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/camera"
	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestCameraThresholdsFromRegistry sends the same clean 10 fps video to
// two cameras: cam-0001 at the default thresholds (frame rate not judged)
// and cam-0002 whose registry entry asks for min_fps 20. Only cam-0002
// turns degraded and opens a stream_degraded alarm.
func TestCameraThresholdsFromRegistry(t *testing.T) {
	addr1 := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t))
	addr2 := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t))
	s := startSite(t, siteOptions{mutate: func(cfg *config.Config) {
		reg := siteRegistry +
			"  - {id: cam-0001, kind: camera, grid: lh-g4-07, rtp: {listen: \"" + addr1 + "\"}}\n" +
			"  - {id: cam-0002, kind: camera, grid: lh-g4-07, rtp: {listen: \"" + addr2 + "\", min_fps: 20}}\n"
		if err := os.WriteFile(cfg.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	for _, to := range []string{addr1, addr2} {
		wg.Go(func() {
			if _, err := camera.Run(ctx, camera.Config{To: to, FPS: 10, Seed: 1}); err != nil {
				t.Errorf("camera to %s: %v", to, err)
			}
		})
	}

	up := func(dev string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^gridwatch_rtp_stream_up\{device="` + dev + `"\} ([01])$`)
	}
	openFor := func(dev string) bool {
		var list struct{ Alarms []alarm.Alarm }
		s.getJSON("/api/v1/alarms?state=open", &list)
		for _, a := range list.Alarms {
			if a.Device == dev && a.Rule == "stream_degraded" {
				return true
			}
		}
		return false
	}
	// The frame rate is judged once a whole 10 s window of video was seen.
	testsvc.Eventually(t, 60*time.Second, "cam-0002 (min_fps 20) degraded at 10 fps", func() bool { return openFor("cam-0002") })
	m := s.metrics()
	if got := up("cam-0002").FindStringSubmatch(m); got == nil || got[1] != "0" {
		t.Errorf("gridwatch_rtp_stream_up of cam-0002 = %v, want 0", got)
	}
	if got := up("cam-0001").FindStringSubmatch(m); got == nil || got[1] != "1" {
		t.Errorf("gridwatch_rtp_stream_up of cam-0001 (default thresholds, same video) = %v, want 1", got)
	}
	if openFor("cam-0001") {
		t.Error("cam-0001 at the default thresholds opened stream_degraded for the same video")
	}
}
