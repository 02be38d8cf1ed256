package app_test

import (
	"context"
	"errors"
	"net"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// freeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// TestCameraStreamHealth runs the gateway with a camera whose RTP video
// ffmpeg sends: the stream shows in /metrics and as the camera's
// telemetry; when ffmpeg stops, the blue stream_degraded alarm opens, and
// when it sends again the alarm is cleared.
func TestCameraStreamHealth(t *testing.T) {
	testsvc.FFmpeg(t)
	rtpAddr := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t))
	s := startSite(t, siteOptions{mutate: func(cfg *config.Config) {
		reg := siteRegistry + "  - {id: cam-0001, kind: camera, grid: lh-g4-07, rtp: {listen: \"" + rtpAddr + "\"}}\n"
		if err := os.WriteFile(cfg.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	packets := regexp.MustCompile(`(?m)^gridwatch_rtp_packets_total\{device="cam-0001"\} ([0-9.e+]+)$`)
	ff := testsvc.FFmpegRTP(t, rtpAddr, func(context.Context) error {
		m := packets.FindStringSubmatch(s.metrics())
		if m == nil || m[1] == "0" {
			return errors.New("no RTP packets counted in /metrics yet")
		}
		return nil
	})
	ff.Start()
	testsvc.Eventually(t, 30*time.Second, "cam-0001 stream up with telemetry", func() bool {
		var list struct{ Devices []devices.Status }
		s.getJSON("/api/v1/devices", &list)
		for _, d := range list.Devices {
			if d.ID == "cam-0001" && d.Telemetry["rtp_up"] == true {
				if fps, _ := d.Telemetry["rtp_fps"].(float64); fps > 10 {
					return true
				}
			}
		}
		return false
	})
	if m := s.metrics(); !regexp.MustCompile(`gridwatch_rtp_stream_up\{device="cam-0001"\} 1`).MatchString(m) {
		t.Errorf("/metrics does not say the stream is up")
	}

	ff.Stop()
	find := func(state string) *alarm.Alarm {
		var list struct{ Alarms []alarm.Alarm }
		s.getJSON("/api/v1/alarms?state="+state, &list)
		for _, a := range list.Alarms {
			if a.Device == "cam-0001" && a.Rule == "stream_degraded" {
				return &a
			}
		}
		return nil
	}
	testsvc.Eventually(t, 30*time.Second, "stream_degraded alarm after ffmpeg stopped", func() bool { return find("open") != nil })

	ff.Start()
	testsvc.Eventually(t, 40*time.Second, "stream_degraded alarm cleared after ffmpeg sent again", func() bool {
		return find("open") == nil && find("all") != nil
	})
}
