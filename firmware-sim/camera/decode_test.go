package camera_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/camera"
	"github.com/gridwatch/gridwatch/internal/testsvc"
)

func TestDefaultClip(t *testing.T) {
	c, err := camera.DefaultClip()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Frames) != 100 || c.Keyframes != 4 {
		t.Fatalf("clip: %d frames, %d keyframes; want 100 and 4 (4 s at 25 fps, GOP 25)", len(c.Frames), c.Keyframes)
	}
	for i, key := range c.Key {
		if key != (i%25 == 0) {
			t.Errorf("frame %d keyframe %v, want one every 25", i, key)
		}
	}
	if r := c.BitrateBPS(25); r < 300_000 || r > 500_000 {
		t.Errorf("clip rate %d bit/s, want about 400k", r)
	}
}

func TestParseClipRefuses(t *testing.T) {
	for name, b := range map[string][]byte{
		"no start codes":    []byte("not a video at all"),
		"no keyframe first": {0, 0, 0, 1, 0x41, 0x9a, 0x01, 0x02},
	} {
		if _, err := camera.ParseClip(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// freeUDPPair returns an even UDP port on 127.0.0.1 whose next port was
// free a moment ago too (RTP and RTCP, as ffmpeg opens them).
func freeUDPPair(t *testing.T) int {
	t.Helper()
	for range 50 {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if port%2 != 0 || port >= 65535 {
			continue
		}
		if c2, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port+1)); err == nil {
			c2.Close()
			return port
		}
	}
	t.Fatal("no free UDP port pair")
	return 0
}

// TestFFmpegDecodesTheStream: ffmpeg, an independent RTP receiver, takes
// what gridsim camera sends — padded to 2 Mbit/s, some packets reordered,
// across the clip's loop — and the H.264 it depacketizes decodes without
// an error: 640×360, every frame, starting at a keyframe.
func TestFFmpegDecodesTheStream(t *testing.T) {
	ffmpeg := testsvc.FFmpeg(t)
	ffprobe := filepath.Join(filepath.Dir(ffmpeg), "ffprobe")
	dir := t.TempDir()
	port := freeUDPPair(t)
	sdp := filepath.Join(dir, "cam.sdp")
	if err := os.WriteFile(sdp, fmt.Appendf(nil, "v=0\no=- 0 0 IN IP4 127.0.0.1\ns=gridsim\nc=IN IP4 127.0.0.1\nt=0 0\n"+
		"m=video %d RTP/AVP 96\na=rtpmap:96 H264/90000\na=fmtp:96 packetization-mode=1\n", port), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "got.h264")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// 130 frames (past the end of the 100-frame clip, so across the
	// loop), copied as they arrive (depacketized only); stop then.
	rx := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "warning",
		"-protocol_whitelist", "file,udp,rtp", "-i", sdp, "-map", "0:v:0", "-c", "copy", "-frames:v", "130", "-f", "h264", out)
	var rxLog strings.Builder
	rx.Stdout, rx.Stderr = &rxLog, &rxLog
	if err := rx.Start(); err != nil {
		t.Fatal(err)
	}
	rxDone := make(chan error, 1)
	go func() { rxDone <- rx.Wait() }()
	time.Sleep(500 * time.Millisecond) // let ffmpeg bind; a camera's first frames may be missed anyway

	camCtx, stopCam := context.WithCancel(ctx)
	camDone := make(chan camera.Stats, 1)
	go func() {
		st, err := camera.Run(camCtx, camera.Config{To: fmt.Sprintf("127.0.0.1:%d", port), BitrateBPS: 2_000_000,
			Reorder: 0.02, Seed: 3})
		if err != nil {
			t.Error(err)
		}
		camDone <- st
	}()
	var rxErr error
	select {
	case rxErr = <-rxDone:
	case <-time.After(90 * time.Second):
		t.Error("ffmpeg did not get 130 frames within 90 s")
		_ = rx.Process.Kill()
		rxErr = <-rxDone
	}
	stopCam()
	st := <-camDone
	if rxErr != nil {
		t.Fatalf("ffmpeg receiver: %v\n%s", rxErr, rxLog.String())
	}
	if st.Reordered == 0 || st.Bytes*8 < 1_500_000*int64(st.Frames)/25 {
		t.Errorf("camera stats %+v: want some reordered packets and about 2 Mbit/s", st)
	}

	// Decode every frame: no error, the clip's size, the first frame a keyframe.
	probe, err := exec.CommandContext(ctx, ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "json", out).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, probe)
	}
	var got struct {
		Streams []struct {
			Codec  string `json:"codec_name"`
			Width  int    `json:"width"`
			Height int    `json:"height"`
			Frames string `json:"nb_read_frames"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(probe, &got); err != nil || len(got.Streams) != 1 {
		t.Fatalf("ffprobe said %s (%v)", probe, err)
	}
	s := got.Streams[0]
	if n, _ := strconv.Atoi(s.Frames); s.Codec != "h264" || s.Width != 640 || s.Height != 360 || n < 100 {
		t.Errorf("decoded %+v, want h264 640×360 with over 100 frames", s)
	}
	dec, err := exec.CommandContext(ctx, ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-i", out, "-f", "null", "-").CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(dec))) > 0 {
		t.Errorf("decoding what ffmpeg received: %v\n%s", err, dec)
	}
	key, err := exec.CommandContext(ctx, ffprobe, "-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1",
		"-show_entries", "frame=key_frame,pict_type", "-of", "csv=p=0", out).CombinedOutput()
	if err != nil || !strings.HasPrefix(strings.TrimSpace(string(key)), "1,I") {
		t.Errorf("first frame %q (%v), want a keyframe", key, err)
	}
}
