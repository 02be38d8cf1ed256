package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gridwatch/gridwatch/firmware-sim/camera"
)

func cmdCamera(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, _ := newFlags("camera", "camera -to HOST:PORT [-fps 25] [-loss 5%] [-jitter 80ms] [-stop-after 30s]", stderr)
	to := fs.String("to", "127.0.0.1:5004", "the camera's rtp.listen address on the gateway")
	fps := fs.Int("fps", 25, "frames per second")
	size := fs.Int("frame-bytes", 4000, "bytes per dummy H.264 frame")
	loss := fs.String("loss", "0%", "packets to drop on purpose, e.g. 5%")
	jitter := fs.Duration("jitter", 0, "delay each frame by a random 0..jitter")
	stopAfter := fs.Duration("stop-after", 0, "stop sending after this long (0: until Ctrl-C)")
	seed := fs.Uint64("seed", 0, "seed for repeatable faults (0: random)")
	if _, err := parse(fs, args); err != nil {
		return usageErr(err)
	}
	var pct float64
	if _, err := fmt.Sscanf(*loss, "%g%%", &pct); err != nil {
		if _, err := fmt.Sscanf(*loss, "%g", &pct); err != nil {
			fmt.Fprintf(stderr, "gridsim camera: -loss %q: want a percentage like 5%%\n", *loss)
			return exitUsage
		}
	}
	start := time.Now()
	st, err := camera.Run(ctx, camera.Config{To: *to, FPS: *fps, FrameBytes: *size, Loss: pct / 100,
		Jitter: *jitter, StopAfter: *stopAfter, Seed: *seed})
	if err != nil {
		fmt.Fprintf(stderr, "gridsim camera: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "camera → %s: ssrc %08x, %d frames, %d packets, %d dropped on purpose, in %v\n",
		*to, st.SSRC, st.Frames, st.Packets, st.Dropped, time.Since(start).Round(time.Millisecond))
	return exitOK
}
