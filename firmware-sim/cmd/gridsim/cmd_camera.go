package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/camera"
)

func cmdCamera(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, _ := newFlags("camera", "camera -to HOST:PORT [-n 1] [-fps 25] [-bitrate 2M] [-loss 5%] [-jitter 80ms] [-reorder 1%] "+
		"[-outage 10s -every 60s] [-stop-after 30s] [-clip FILE.h264]", stderr)
	to := fs.String("to", "127.0.0.1:5004", "the camera's rtp.listen address on the gateway (the first camera's, with -n)")
	n := fs.Int("n", 1, "cameras, sending to consecutive ports from -to, each its own stream (SSRC)")
	fps := fs.Int("fps", camera.ClipFPS, "frames per second (the clip plays faster or slower)")
	bitrate := fs.String("bitrate", "0", "bits per second per camera, e.g. 2M or 800k: the clip padded with SEI data up to it (0: the clip's own, about 400k)")
	loss := fs.String("loss", "0%", "packets to drop on purpose, e.g. 5%")
	jitter := fs.Duration("jitter", 0, "delay each frame by a random 0..jitter")
	reorder := fs.String("reorder", "0%", "packets to send after the next one, e.g. 1%")
	outage := fs.Duration("outage", 0, "stop sending for this long every -every (the video clock runs on)")
	every := fs.Duration("every", 0, "period of the outages")
	stopAfter := fs.Duration("stop-after", 0, "stop sending after this long (0: until Ctrl-C)")
	seed := fs.Uint64("seed", 0, "seed for repeatable faults (0: random); camera k uses seed+k")
	clipPath := fs.String("clip", "", "an H.264 Annex-B file to play (default: the built-in 4 s 640×360 test clip)")
	if _, err := parse(fs, args); err != nil {
		return usageErr(err)
	}
	lossPct, err1 := percent(*loss)
	reorderPct, err2 := percent(*reorder)
	bps, err3 := siRate(*bitrate)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			fmt.Fprintf(stderr, "gridsim camera: %v\n", err)
			return exitUsage
		}
	}
	ports, err := camera.Ports(*to, *n)
	if err != nil {
		fmt.Fprintf(stderr, "gridsim camera: %v\n", err)
		return exitUsage
	}
	var clip *camera.Clip
	if *clipPath != "" {
		b, err := os.ReadFile(*clipPath)
		if err == nil {
			clip, err = camera.ParseClip(b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "gridsim camera: -clip: %v\n", err)
			return exitUsage
		}
	}
	start := time.Now()
	stats := make([]camera.Stats, len(ports))
	errs := make([]error, len(ports))
	var wg sync.WaitGroup
	for k, addr := range ports {
		cfg := camera.Config{To: addr, FPS: *fps, BitrateBPS: bps, Loss: lossPct / 100, Jitter: *jitter,
			Reorder: reorderPct / 100, Outage: *outage, OutageEvery: *every, StopAfter: *stopAfter, Clip: clip}
		if *seed != 0 {
			cfg.Seed = *seed + uint64(k)
		}
		wg.Go(func() { stats[k], errs[k] = camera.Run(ctx, cfg) })
	}
	wg.Wait()
	code := exitOK
	for k, addr := range ports {
		if errs[k] != nil {
			fmt.Fprintf(stderr, "gridsim camera: %v\n", errs[k])
			code = exitUsage
			continue
		}
		st := stats[k]
		fmt.Fprintf(stdout, "camera → %s: ssrc %08x, %d frames (%d keyframes), %d packets, %d dropped, %d reordered, %d in outages, %.0f kbit/s, in %v\n",
			addr, st.SSRC, st.Frames, st.Keyframes, st.Packets, st.Dropped, st.Reordered, st.Outaged,
			float64(st.Bytes)*8/1000/max(time.Since(start).Seconds(), 0.001), time.Since(start).Round(time.Millisecond))
	}
	return code
}

// percent parses "5%" or "5" as 5.
func percent(s string) (float64, error) {
	var pct float64
	if _, err := fmt.Sscanf(s, "%g%%", &pct); err != nil {
		if _, err := fmt.Sscanf(s, "%g", &pct); err != nil {
			return 0, fmt.Errorf("%q: want a percentage like 5%%", s)
		}
	}
	return pct, nil
}

// siRate parses a bit rate: 2000000, 2M, 800k.
func siRate(s string) (int, error) {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "M"), strings.HasSuffix(s, "m"):
		mult, s = 1e6, s[:len(s)-1]
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1e3, s[:len(s)-1]
	}
	var v float64
	if _, err := fmt.Sscanf(s, "%g", &v); err != nil || v < 0 {
		return 0, fmt.Errorf("-bitrate %q: want bits per second like 2M or 800k", s)
	}
	return int(v * mult), nil
}
