// Package camera plays a camera's RTP video for rehearsals and load
// tests: a real H.264 clip (testdata/clip.h264, or one of your own),
// looped with continuous RTP timestamps, packetized with pion/rtp's
// H264Payloader (90 kHz, payload type 96, FU-A and STAP-A, 1200-byte
// packets) and sent over UDP at a steady frame rate, with faults injected
// on purpose (loss, send-time jitter, reordering, outages, a stop) so
// installers can watch the gateway's stream health react. Any RTP H.264
// receiver (ffmpeg, VLC, the gateway) decodes what it sends.
package camera

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// Config is one simulated camera stream.
type Config struct {
	// To is the gateway's host:port for this camera (its rtp.listen).
	To string
	// FPS is the frame rate; the clip's own (25) if zero. The clip plays
	// faster or slower; the timestamps follow FPS.
	FPS int
	// BitrateBPS, when above the clip's own rate at FPS, pads each frame
	// with SEI user data (which decoders skip) in proportion to its size,
	// so keyframes stay larger than the frames between them. 0 keeps the
	// clip's rate (about 400 kbit/s at 25 fps).
	BitrateBPS int
	// Loss is the fraction of packets dropped on purpose, 0..1.
	Loss float64
	// Jitter delays each frame by a random 0..Jitter past its slot.
	Jitter time.Duration
	// Reorder is the fraction of packets sent after the packet that
	// follows them, 0..1.
	Reorder float64
	// Outage stops sending for Outage every OutageEvery (the first one
	// OutageEvery after the start), as a camera whose network drops: no
	// packet goes out, the video clock runs on. Both or neither.
	Outage, OutageEvery time.Duration
	// StopAfter ends the stream after this long; 0 runs until ctx ends.
	StopAfter time.Duration
	// Seed makes the faults (and the SSRC) repeatable; 0 picks one at
	// random.
	Seed uint64
	// Clip is the video; nil is DefaultClip.
	Clip *Clip
}

// Stats is what a run sent.
type Stats struct {
	// Frames and Keyframes sent (or dropped, or in an outage).
	Frames, Keyframes int
	// Packets made, Dropped of them on purpose, Reordered sent late,
	// Outaged not sent during outages.
	Packets, Dropped, Reordered, Outaged int
	// Bytes of RTP (header and payload) sent.
	Bytes int64
	SSRC  uint32
}

// check validates cfg, filling in the defaults.
func (cfg *Config) check() error {
	if cfg.Clip == nil {
		c, err := DefaultClip()
		if err != nil {
			return err
		}
		cfg.Clip = c
	}
	if cfg.FPS == 0 {
		cfg.FPS = ClipFPS
	}
	var errs []error
	if cfg.FPS < 1 || cfg.FPS > 120 {
		errs = append(errs, fmt.Errorf("fps %d: want 1..120", cfg.FPS))
	}
	if cfg.Loss < 0 || cfg.Loss > 1 || cfg.Reorder < 0 || cfg.Reorder > 1 {
		errs = append(errs, fmt.Errorf("loss %v, reorder %v: want 0..1", cfg.Loss, cfg.Reorder))
	}
	if cfg.Jitter < 0 || cfg.Outage < 0 || cfg.OutageEvery < 0 || cfg.StopAfter < 0 {
		errs = append(errs, errors.New("jitter, outage, outage every and stop after may not be negative"))
	}
	if (cfg.Outage > 0) != (cfg.OutageEvery > 0) || (cfg.Outage > 0 && cfg.Outage >= cfg.OutageEvery) {
		errs = append(errs, fmt.Errorf("outage %v every %v: want both, the outage shorter than its period", cfg.Outage, cfg.OutageEvery))
	}
	if own := cfg.Clip.BitrateBPS(cfg.FPS); cfg.BitrateBPS != 0 && cfg.BitrateBPS < own {
		errs = append(errs, fmt.Errorf("bitrate %d bit/s: the clip itself needs %d bit/s at %d fps (padding only adds)", cfg.BitrateBPS, own, cfg.FPS))
	}
	if len(errs) > 0 {
		return fmt.Errorf("camera: %w", errors.Join(errs...))
	}
	return nil
}

// BitrateBPS is the clip's own bit rate (its H.264 bytes) played at fps.
func (c *Clip) BitrateBPS(fps int) int {
	return int(int64(c.Bytes) * 8 * int64(fps) / int64(len(c.Frames)))
}

// Run sends the stream until ctx ends or StopAfter passes.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	if err := cfg.check(); err != nil {
		return Stats{}, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	conn, err := net.Dial("udp", cfg.To)
	if err != nil {
		return Stats{}, fmt.Errorf("camera: %w", err)
	}
	defer conn.Close()

	st := Stats{SSRC: rng.Uint32()}
	pz := rtp.NewPacketizer(1200, 96, st.SSRC, &codecs.H264Payloader{}, rtp.NewRandomSequencer(), 90000)
	period := time.Second / time.Duration(cfg.FPS)
	samples := uint32(90000 / cfg.FPS)
	scale := 0.0 // padding per byte of frame
	if cfg.BitrateBPS > 0 {
		scale = float64(cfg.BitrateBPS)/float64(cfg.Clip.BitrateBPS(cfg.FPS)) - 1
	}
	var held []byte // a packet kept back to be sent after the next one
	send := func(b []byte) {
		st.Bytes += int64(len(b))
		// ICMP port unreachable while nobody listens: keep sending, as
		// a camera does.
		_, _ = conn.Write(b)
	}
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := 0; ; i++ {
		at := time.Duration(i) * period
		if cfg.StopAfter > 0 && at >= cfg.StopAfter {
			if held != nil {
				send(held)
			}
			return st, nil
		}
		slot := start.Add(at)
		if cfg.Jitter > 0 {
			slot = slot.Add(time.Duration(rng.Int64N(int64(cfg.Jitter))))
		}
		timer.Reset(time.Until(slot))
		select {
		case <-ctx.Done():
			return st, nil
		case <-timer.C:
		}
		au := cfg.Clip.Frames[i%len(cfg.Clip.Frames)]
		if cfg.Clip.Key[i%len(cfg.Clip.Frames)] {
			st.Keyframes++
		}
		st.Frames++
		out := cfg.OutageEvery > 0 && at >= cfg.OutageEvery && at%cfg.OutageEvery < cfg.Outage
		for _, p := range pz.Packetize(withPadding(au, int(scale*float64(len(au)))), samples) {
			st.Packets++
			switch {
			case out:
				st.Outaged++
				continue
			case cfg.Loss > 0 && rng.Float64() < cfg.Loss:
				st.Dropped++
				continue
			}
			b, err := p.Marshal()
			if err != nil {
				return st, fmt.Errorf("camera: %w", err)
			}
			if held == nil && cfg.Reorder > 0 && rng.Float64() < cfg.Reorder {
				held = b
				st.Reordered++
				continue
			}
			send(b)
			if held != nil {
				send(held)
				held = nil
			}
		}
	}
}

// Ports returns n consecutive addresses from to (host:port): camera k of
// a site sends to port+k.
func Ports(to string, n int) ([]string, error) {
	host, p, err := net.SplitHostPort(to)
	if err != nil {
		return nil, fmt.Errorf("camera: %q: want host:port", to)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || n < 1 || port+n-1 > 65535 {
		return nil, fmt.Errorf("camera: %d cameras from port %q: want ports within 1..65535", n, p)
	}
	out := make([]string, n)
	for k := range out {
		out[k] = net.JoinHostPort(host, strconv.Itoa(port+k))
	}
	return out, nil
}
