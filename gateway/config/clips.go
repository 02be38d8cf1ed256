package config

import "time"

// Clips is the video evidence of alarms: when an alarm opens, each linked
// camera the gateway records (rtp or rtsp in the registry) keeps a clip of
// PreRoll before the press to PostRoll after it, and a still of the press,
// under DataDir/clips.
type Clips struct {
	// PreRoll and PostRoll are the video kept before and after the press.
	// PreRoll is also how much video each camera keeps in memory.
	PreRoll  time.Duration `yaml:"pre_roll"`
	PostRoll time.Duration `yaml:"post_roll"`
	// RingBytes caps the memory one camera's ring of recent video takes;
	// a ring that reaches it drops its oldest GOPs (shorter pre-roll).
	RingBytes int64 `yaml:"ring_bytes"`
	// MaxAge and MaxBytes bound the clips kept (0: no bound); clips of
	// open alarms are kept regardless.
	MaxAge   time.Duration `yaml:"max_age"`
	MaxBytes int64         `yaml:"max_bytes"`
	// MinFreeBytes is the free space of the data directory's filesystem
	// that clips never take: below it no clip is recorded (the alarm says
	// so) and closed alarms' clips are deleted, oldest first.
	MinFreeBytes int64 `yaml:"min_free_bytes"`
	// Workers bounds the clips recorded at once.
	Workers int `yaml:"workers"`
	// FFmpeg is the ffmpeg that takes stills: a path, or a name looked up
	// on PATH; "" takes no stills.
	FFmpeg string `yaml:"ffmpeg"`
}

// Defaults of clips.
const (
	DefaultClipPreRoll   = 30 * time.Second
	DefaultClipPostRoll  = 20 * time.Second
	DefaultClipRingBytes = 12 << 20 // 30 s of 2 Mbit/s is 7.5 MiB; room for bursts
	DefaultClipMaxAge    = 30 * 24 * time.Hour
	DefaultClipMaxBytes  = 20 << 30 // 20 GiB
	DefaultClipMinFree   = 1 << 30  // 1 GiB
	DefaultClipWorkers   = 4
	DefaultClipFFmpeg    = "ffmpeg"
)

// Limits of clips.
const (
	MaxClipRoll      = 5 * time.Minute
	MinClipRingBytes = 256 << 10
	MaxClipWorkers   = 64
)

func defaultClips() Clips {
	return Clips{PreRoll: DefaultClipPreRoll, PostRoll: DefaultClipPostRoll, RingBytes: DefaultClipRingBytes,
		MaxAge: DefaultClipMaxAge, MaxBytes: DefaultClipMaxBytes, MinFreeBytes: DefaultClipMinFree,
		Workers: DefaultClipWorkers, FFmpeg: DefaultClipFFmpeg}
}

func (c Config) checkClips(k *checker) {
	cl := c.Clips
	if cl.PreRoll < 0 || cl.PreRoll > MaxClipRoll {
		k.add("clips.pre_roll", "%v: want 0 to %v", cl.PreRoll, MaxClipRoll)
	}
	if cl.PostRoll < 0 || cl.PostRoll > MaxClipRoll {
		k.add("clips.post_roll", "%v: want 0 to %v", cl.PostRoll, MaxClipRoll)
	}
	if cl.PreRoll == 0 && cl.PostRoll == 0 {
		k.add("clips.post_roll", "pre_roll and post_roll are both 0: a clip needs some video")
	}
	if cl.RingBytes < MinClipRingBytes {
		k.add("clips.ring_bytes", "%d: want at least %d bytes", cl.RingBytes, MinClipRingBytes)
	}
	if cl.MaxAge < 0 {
		k.add("clips.max_age", "%v: want 0 (no age bound) or a positive duration", cl.MaxAge)
	}
	if cl.MaxBytes < 0 {
		k.add("clips.max_bytes", "%d: want 0 (no size bound) or more bytes", cl.MaxBytes)
	}
	if cl.MinFreeBytes < 0 {
		k.add("clips.min_free_bytes", "%d: want 0 (no floor) or more bytes", cl.MinFreeBytes)
	}
	if cl.Workers < 1 || cl.Workers > MaxClipWorkers {
		k.add("clips.workers", "%d: want 1 to %d", cl.Workers, MaxClipWorkers)
	}
}
