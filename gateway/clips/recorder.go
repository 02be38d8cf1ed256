// Package clips keeps the video evidence of alarms: when an alarm opens,
// each camera the gateway records (its device's linked cameras with an
// rtp or rtsp stream) writes an MP4 of the seconds before and after the
// press, and ffmpeg takes a still of the frame nearest it. The outcome
// lands on the alarm (the escalation desk's AttachClip); the files live
// under data_dir/clips/{alarm}/{camera}.mp4|.jpg, are served to those who
// may see the alarm, and are kept by age and total size, never those of
// an open alarm, and never at the cost of the disk the journal needs.
package clips

import (
	"context"
	"errors"
	"time"

	"github.com/gridwatch/gridwatch/rules/alarm"
)

// Errors a Recorder returns (wrapped or as they are).
var (
	// ErrNoVideo: the camera has nothing to record (offline, no video yet).
	ErrNoVideo = errors.New("no video from the camera")
	// ErrUnsupportedCodec: the camera's stream cannot be recorded (H.265).
	ErrUnsupportedCodec = errors.New("unsupported video codec")
)

// Request is one clip to write: the video from Pre before At to Post
// after it, as an MP4 at Path.
type Request struct {
	At        time.Time
	Pre, Post time.Duration
	Path      string
}

// Result is what was written: the times of the first and last frame, how
// many frames and bytes, and the codec (h264).
type Result struct {
	Start, End time.Time
	Frames     int
	Bytes      int64
	Codec      string
}

// Recorder writes a camera's clip. Clip takes the camera's ring of recent
// video from the keyframe at or before At−Pre, adds frames as they come
// until At+Post (or ctx ends, or the camera goes silent: then a shorter
// clip), and writes a standard MP4 (H.264) to Path through a temporary
// file and a rename: Path exists only once it is whole. It fails with
// ErrNoVideo when the camera has no video, ErrUnsupportedCodec for a stream
// it cannot record. It never holds up the camera's ingest.
type Recorder interface {
	Clip(ctx context.Context, camera string, req Request) (Result, error)
}

// Desk is the escalation desk as the clips see it: where outcomes land,
// and the alarms (open ones are never swept; those open at a start may
// hold clips a stop cut short).
type Desk interface {
	AttachClip(ctx context.Context, alarmID string, c alarm.Clip) error
	Get(id string) (alarm.Alarm, bool, error)
	List(f alarm.Filter) ([]alarm.Alarm, error)
}
