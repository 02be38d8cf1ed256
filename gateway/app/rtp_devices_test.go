package app_test

import (
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/gateway/devices"
	"github.com/gridwatch/gridwatch/internal/testsvc"
	"github.com/gridwatch/gridwatch/rules/alarm"
)

// TestDeviceListFollowsVideoLoss: the stream state /api/v1/devices shows
// for a camera is refreshed when the stream changes, not at the next
// periodic sample (every 10 s): the sample that says "lost" is the one
// taken with the video.loss event that raised the stream_degraded alarm.
func TestDeviceListFollowsVideoLoss(t *testing.T) {
	rtpAddr := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t))
	s := startSite(t, siteOptions{mutate: func(cfg *config.Config) {
		reg := siteRegistry + "  - {id: cam-0002, kind: camera, grid: lh-g4-07, rtp: {listen: \"" + rtpAddr + "\"}}\n"
		if err := os.WriteFile(cfg.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	camera := func() (devices.Status, bool) {
		var list struct{ Devices []devices.Status }
		s.getJSON("/api/v1/devices", &list)
		for _, d := range list.Devices {
			if d.ID == "cam-0002" {
				return d, true
			}
		}
		return devices.Status{}, false
	}
	// A camera sending 25 frames a second, one packet each, until stopped.
	c, err := net.Dial("udp", rtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(40 * time.Millisecond)
		defer tick.Stop()
		for seq := uint16(1); ; seq++ {
			b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq,
				Timestamp: uint32(seq) * 3600, SSRC: 7, Marker: true}, Payload: make([]byte, 300)}).Marshal()
			_, _ = c.Write(b)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	stopped := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopped()
	testsvc.Eventually(t, 30*time.Second, "cam-0002 stream up in the device list", func() bool {
		d, ok := camera()
		return ok && d.Telemetry["rtp_up"] == true
	})

	stopped()
	var lost devices.Status
	testsvc.Eventually(t, 30*time.Second, "cam-0002 stream lost in the device list", func() bool {
		d, ok := camera()
		lost = d
		return ok && d.Telemetry["rtp_up"] == false
	})
	var raised *alarm.Alarm
	testsvc.Eventually(t, 30*time.Second, "stream_degraded alarm", func() bool {
		for _, a := range s.alarmsOf("stream_degraded", "cam-0002") {
			raised = &a
			return true
		}
		return false
	})
	s.waitBoard(raised.ID)
	if lost.TelemetryMS != raised.EventMS {
		t.Errorf("the device list said lost from a sample taken at %d, the video.loss event was at %d: "+
			"the state was not refreshed with the event", lost.TelemetryMS, raised.EventMS)
	}
	if st := lost.Telemetry["rtp_state"]; st != "lost" {
		t.Errorf("rtp_state %v, want lost", st)
	}
}
