package app_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/gateway/config"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

// TestPanicClipFromRealCamera: ffmpeg sends a camera's H.264 over RTP; a
// press on the box the camera watches gives its alarm a clip recorded by
// the camera's own recorder (no fake): ffprobe finds it decodable,
// starting on a keyframe, as long as pre-roll plus post-roll within a
// GOP (1 s), with the press inside it; the still is a JPEG.
func TestPanicClipFromRealCamera(t *testing.T) {
	testsvc.FFmpeg(t)
	const pre, post = 3 * time.Second, 2 * time.Second
	rtpAddr := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t))
	s := startSite(t, siteOptions{mutate: func(cfg *config.Config) {
		cfg.Clips.PreRoll, cfg.Clips.PostRoll = pre, post
		reg := siteRegistry +
			"  - {id: lb-0010, kind: lightbox, grid: lh-g4-07, cameras: [cam-0001]}\n" +
			"  - {id: cam-0001, kind: camera, grid: lh-g4-07, rtp: {listen: \"" + rtpAddr + "\"}}\n"
		if err := os.WriteFile(cfg.Registry, []byte(reg), 0o600); err != nil {
			t.Fatal(err)
		}
	}})
	testsvc.FFmpegRTP(t, rtpAddr, func(context.Context) error { return nil }).Start() // ready: the ring's wait below
	waitRing(t, s, "cam-0001", pre+time.Second)

	pressed := time.Now()
	s.press(s.client("lb-0010", true, nil), "lb-0010", 1)
	c := settledClip(t, s, "lb-0010")
	ready := time.Since(pressed)
	p := checkPressClip(t, s, c, pre, post)
	t.Logf("clip %v, %d frames, press at +%d ms; press → clip seen ready by the API poll: %v (post-roll %v)",
		p.duration.Round(time.Millisecond), len(p.frames), c.PressOffsetMS, ready.Round(time.Millisecond), post)
}
