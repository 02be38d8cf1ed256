// Package camera plays a camera's RTP video for rehearsals: dummy H.264
// NAL units, packetized with pion/rtp (90 kHz, payload type 96), sent over
// UDP at a steady frame rate, with faults injected on purpose (packet
// loss, send-time jitter, a stop after a while) so installers can watch
// the gateway's stream health react.
package camera

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// Config is one simulated camera stream.
type Config struct {
	// To is the gateway's host:port for this camera (its rtp.listen).
	To string
	// FPS is the frame rate; 25 if zero.
	FPS int
	// FrameBytes is the size of each dummy frame; 4000 if zero (about
	// four packets at the 1200-byte MTU).
	FrameBytes int
	// Loss is the fraction of packets dropped on purpose, 0..1.
	Loss float64
	// Jitter delays each frame by a random 0..Jitter past its slot.
	Jitter time.Duration
	// StopAfter ends the stream after this long; 0 runs until ctx ends.
	StopAfter time.Duration
	// Seed makes the faults repeatable; 0 picks one at random.
	Seed uint64
}

// Stats is what a run sent.
type Stats struct {
	Frames, Packets, Dropped int
	SSRC                     uint32
}

// Run sends the stream until ctx ends or StopAfter passes.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	if cfg.FPS == 0 {
		cfg.FPS = 25
	}
	if cfg.FrameBytes == 0 {
		cfg.FrameBytes = 4000
	}
	if cfg.FPS < 1 || cfg.FPS > 120 || cfg.FrameBytes < 10 || cfg.Loss < 0 || cfg.Loss > 1 || cfg.Jitter < 0 {
		return Stats{}, fmt.Errorf("camera: want fps 1..120, frame bytes ≥ 10, loss 0..1, jitter ≥ 0 (got %d, %d, %v, %v)",
			cfg.FPS, cfg.FrameBytes, cfg.Loss, cfg.Jitter)
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
	start := time.Now()
	for i := 0; ; i++ {
		if cfg.StopAfter > 0 && time.Duration(i)*period >= cfg.StopAfter {
			return st, nil
		}
		slot := start.Add(time.Duration(i) * period)
		if cfg.Jitter > 0 {
			slot = slot.Add(time.Duration(rng.Int64N(int64(cfg.Jitter))))
		}
		select {
		case <-ctx.Done():
			return st, nil
		case <-time.After(time.Until(slot)):
		}
		for _, p := range pz.Packetize(frame(i, cfg.FPS, cfg.FrameBytes), samples) {
			st.Packets++
			if cfg.Loss > 0 && rng.Float64() < cfg.Loss {
				st.Dropped++
				continue
			}
			b, err := p.Marshal()
			if err != nil {
				return st, fmt.Errorf("camera: %w", err)
			}
			if _, err := conn.Write(b); err != nil && !errors.Is(err, net.ErrClosed) {
				// ICMP port unreachable while nobody listens: keep sending,
				// as a camera does.
				continue
			}
		}
		st.Frames++
	}
}

// frame is one dummy Annex-B access unit: an IDR slice once a second,
// else a non-IDR slice, filled with a counter.
func frame(i, fps, size int) []byte {
	b := make([]byte, size)
	copy(b, []byte{0, 0, 0, 1, 0x41})
	if i%fps == 0 {
		b[4] = 0x65
	}
	for j := 5; j < size; j++ {
		b[j] = byte(i+j) | 0x01 // never a start code
	}
	return b
}
