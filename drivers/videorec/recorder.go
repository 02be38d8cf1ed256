package videorec

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gridwatch/gridwatch/drivers/h264"
)

// Errors of Clip; test with errors.Is.
var (
	// ErrNoVideo: the ring holds nothing (the camera is offline, or sent no
	// keyframe yet), or nothing came before the clip had to end.
	ErrNoVideo = errors.New("no video")
	// ErrUnsupportedCodec: the camera sends a codec clips cannot hold
	// (H.265).
	ErrUnsupportedCodec = errors.New("unsupported codec")
)

// ClipRequest asks for a clip around the instant At: from Pre before it
// to Post after it, written to Path.
type ClipRequest struct {
	At        time.Time
	Pre, Post time.Duration
	Path      string
}

// ClipResult says what the clip holds: Start and End are the wall-clock
// times of its first frame and of its end (Start + the MP4's duration),
// Frames and Bytes (of the file) its size, Codec its codec ("h264").
type ClipResult struct {
	Start, End time.Time
	Frames     int
	Bytes      int64
	Codec      string
}

// Config is one camera's recorder.
type Config struct {
	// Device is the camera's registry id.
	Device string
	// Ring is how much video the ring keeps; 30 s if zero. The ring holds
	// at least this much (up to one group of pictures more) unless
	// MaxBytes cuts it.
	Ring time.Duration
	// MaxBytes caps the ring's memory; 32 MiB if zero (30 s of an
	// 8 Mbit/s stream).
	MaxBytes int
	// Silence is how long a clip waits for the next frame in its
	// post-roll before it ends early; 10 s if zero.
	Silence time.Duration
	// ClockRate is the RTP clock; 90000 if zero.
	ClockRate int
}

func (c Config) withDefaults() Config {
	if c.Ring == 0 {
		c.Ring = 30 * time.Second
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = 32 << 20
	}
	if c.Silence == 0 {
		c.Silence = 10 * time.Second
	}
	if c.ClockRate == 0 {
		c.ClockRate = 90000
	}
	return c
}

// Validate returns every problem of c at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Device == "" {
		errs = append(errs, errors.New("device: required"))
	}
	if c.Ring < time.Second || c.Ring > time.Hour {
		errs = append(errs, fmt.Errorf("ring %v: want 1s..1h", c.Ring))
	}
	if c.MaxBytes < 1<<20 || c.MaxBytes > 1<<30 {
		errs = append(errs, fmt.Errorf("max_bytes %d: want 1 MiB..1 GiB", c.MaxBytes))
	}
	if c.Silence < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("silence %v: want at least 100ms", c.Silence))
	}
	if c.ClockRate < 1000 || c.ClockRate > 1_000_000 {
		errs = append(errs, fmt.Errorf("clock_rate %d: want 1000..1000000 Hz", c.ClockRate))
	}
	if len(errs) > 0 {
		return fmt.Errorf("video recorder %s: %w", c.Device, errors.Join(errs...))
	}
	return nil
}

// Options are the recorder's collaborators. All are optional.
type Options struct {
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Now is the wall clock; nil is time.Now.
	Now func() time.Time
	// Poll is how often a clip in its post-roll looks for new frames;
	// 100 ms if zero.
	Poll time.Duration
}

// Recorder keeps one camera's ring and writes clips from it. The
// camera's listener hands it pictures (AccessUnit, Codec) on its own
// goroutine; Clip may be called from any goroutine, any number at once,
// and never holds up the listener for longer than a bounded copy.
type Recorder struct {
	cfg  Config
	log  *slog.Logger
	now  func() time.Time
	poll time.Duration
	ring *ring

	mu    sync.Mutex
	codec string

	clips [numOutcomes]atomic.Int64
}

// New checks cfg and returns the recorder; it starts nothing.
func New(cfg Config, opts Options) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	r := &Recorder{cfg: cfg, log: opts.Logger, now: opts.Now, poll: opts.Poll,
		ring: newRing(cfg.Ring, cfg.MaxBytes, cfg.ClockRate)}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.poll <= 0 {
		r.poll = 100 * time.Millisecond
	}
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(newCollector(r)); err != nil {
			return nil, fmt.Errorf("video recorder %s: metrics: %w", cfg.Device, err)
		}
	}
	// The ring's memory lies outside the Go heap: give it back when the
	// recorder is dropped without Close.
	runtime.AddCleanup(r, func(g *ring) { g.close() }, r.ring)
	return r, nil
}

// Close empties the ring and gives its memory back. The recorder keeps
// working (the ring takes memory again as pictures come); Close is for a
// recorder that is done with, and for tests.
func (r *Recorder) Close() { r.ring.close() }

// Device is the camera's registry id.
func (r *Recorder) Device() string { return r.cfg.Device }

// AccessUnit keeps one picture in the ring (a copy of it). It is called
// on the listener's goroutine.
func (r *Recorder) AccessUnit(au h264.AccessUnit, at time.Time) {
	r.ring.add(au.Data, au.Key, au.TS, au.SSRC, at)
}

// Codec tells the recorder the camera's codec once it is known (and
// again when it changes). A codec other than H.264 empties the ring.
func (r *Recorder) Codec(codec string) {
	r.mu.Lock()
	r.codec = codec
	r.mu.Unlock()
	if codec != h264.CodecH264 && codec != h264.CodecUnknown {
		r.ring.clear()
	}
}

func (r *Recorder) currentCodec() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.codec
}

// Status is a snapshot of the ring.
type Status struct {
	Codec string
	// Frames and Bytes in the ring, Capacity the memory its chunks hold
	// (at most Config.MaxBytes); Span the media time the ring covers, from
	// Oldest to Newest (arrival).
	Frames, Bytes, Capacity int
	Span                    time.Duration
	Oldest, Newest          time.Time
}

// Status returns a snapshot of the ring.
func (r *Recorder) Status() Status {
	st := r.ring.stats()
	return Status{Codec: r.currentCodec(), Frames: st.frames, Bytes: st.bytes, Capacity: st.capacity,
		Span: st.span, Oldest: st.oldest, Newest: st.newest}
}
